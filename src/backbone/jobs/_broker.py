"""What an API asks the broker besides publishing: is it there, how long is the queue.

For a Redis broker (``redis://``, ``rediss://``) :class:`RedisProbe` asks Redis itself
over asyncio (``PING``; ``LLEN`` of the queue, which is the list kombu keeps the
queue's messages in). For any other broker (RabbitMQ...) :class:`KombuProbe` asks
through kombu, in a thread (a passive queue declaration reports the message count).
"""

from __future__ import annotations

import asyncio
from typing import Protocol
from urllib.parse import urlsplit

from celery import Celery

from backbone.core.redis import check_redis, create_redis

__all__ = ["BrokerProbe", "KombuProbe", "RedisProbe", "broker_probe", "queue_depth"]

REDIS_SCHEMES = frozenset({"redis", "rediss"})
TIMEOUT_SECONDS = 2.0


class BrokerProbe(Protocol):
    """Readiness and queue depth of the broker."""

    async def ping(self) -> None:
        """Raise unless the broker answers."""

    async def depth(self, queue: str) -> int:
        """How many messages wait in ``queue``."""

    async def aclose(self) -> None:
        """Release the probe's connections."""


class RedisProbe:
    """A Redis broker, asked directly."""

    def __init__(self, url: str) -> None:
        self._redis = create_redis(
            url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )

    async def ping(self) -> None:
        """``PING``."""
        await check_redis(self._redis)

    async def depth(self, queue: str) -> int:
        """``LLEN queue``."""
        return int(await self._redis.llen(queue))

    async def aclose(self) -> None:
        """Close the client."""
        await self._redis.aclose()


class KombuProbe:
    """Any broker kombu speaks, asked through the Celery app's connections (in a thread)."""

    def __init__(self, celery: Celery) -> None:
        self._celery = celery

    def _ping(self) -> None:
        with self._celery.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)

    async def ping(self) -> None:
        """Connect once."""
        await asyncio.to_thread(self._ping)

    async def depth(self, queue: str) -> int:
        """The message count of a passive declaration of ``queue``."""
        return await asyncio.to_thread(queue_depth, self._celery, queue)

    async def aclose(self) -> None:
        """Nothing to release: each call opens and closes its own connection."""


def queue_depth(celery: Celery, queue: str) -> int:
    """How many messages wait in ``queue``, asked through kombu (blocking; any broker)."""
    with celery.connection_for_read() as connection:
        try:
            declared = connection.default_channel.queue_declare(queue=queue, passive=True)
        except connection.channel_errors:  # no such queue (yet): nothing waits in it
            return 0
        return int(declared.message_count)


def broker_probe(celery: Celery, url: str) -> BrokerProbe:
    """The probe for the broker at ``url`` (``celery`` is configured for it)."""
    if urlsplit(url).scheme in REDIS_SCHEMES:
        return RedisProbe(url)
    return KombuProbe(celery)
