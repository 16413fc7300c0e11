"""The Redis helpers without a server."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from backbone.core import check_redis, create_redis


async def test_create_redis_from_url() -> None:
    """create_redis builds a client for the URL's database without connecting."""
    client = create_redis("redis://127.0.0.1:6390/3")
    try:
        kwargs = client.connection_pool.connection_kwargs
        assert (kwargs["port"], kwargs["db"]) == (6390, 3)
        assert kwargs["socket_connect_timeout"] == 2.0
    finally:
        await client.aclose()


class _FakeRedis:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    async def ping(self) -> bool:
        if self.error:
            raise self.error
        return True


async def test_check_redis_passes_on_pong() -> None:
    """check_redis returns when PING answers."""
    await check_redis(_FakeRedis(None))  # type: ignore[arg-type]


async def test_check_redis_raises_when_down() -> None:
    """check_redis raises when PING fails, so /readyz reports it."""
    with pytest.raises(ConnectionError):
        await check_redis(_FakeRedis(ConnectionError("down")))  # type: ignore[arg-type]


def test_client_type() -> None:
    """The client is redis.asyncio's."""
    assert isinstance(create_redis("redis://localhost"), Redis)
