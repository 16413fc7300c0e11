"""Redis for services: an asyncio client and its readiness check."""

from __future__ import annotations

from redis.asyncio import Redis


def create_redis(url: str, **options: object) -> Redis:
    """An asyncio Redis client for ``url`` (close it with ``await client.aclose()``)."""
    options.setdefault("socket_connect_timeout", 2.0)
    return Redis.from_url(url, **options)  # type: ignore[arg-type]


async def check_redis(client: Redis) -> None:
    """Readiness: raise unless Redis answers ``PING``."""
    await client.ping()
