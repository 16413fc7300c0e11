"""kombu's Redis transport with one Redis client object per channel, not one per command.

kombu's Redis channel builds a new ``redis.Redis`` for every synchronous command it sends
(``conn_or_acquire``): its constructor fills a table of some 170 response callbacks each
time, about a quarter of a millisecond, paid for every publish and, in a worker, every
acknowledgement. The client object only refers to the channel's connection pool, which
keeps the connections; one object per channel is what kombu's own asynchronous client
(``Channel.client``) already does. Nothing else changes.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis

__all__ = ["Channel", "Transport"]


class Channel(kombu_redis.Channel):
    """kombu's Redis channel, its synchronous client made once."""

    _sync_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[no-untyped-call]
        if self._sync_client is None:
            self._sync_client = super()._create_client()  # type: ignore[no-untyped-call]
        return self._sync_client


class Transport(kombu_redis.Transport):
    """kombu's Redis transport with :class:`Channel`."""

    Channel = Channel
