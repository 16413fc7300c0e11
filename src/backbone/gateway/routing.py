"""Which upstream serves a request: prefix routes, round-robin, passive health.

A route matches a path at a segment boundary (``/users`` matches ``/users`` and
``/users/1``, never ``/usersX``); the longest matching prefix wins. Each route has a
pool of upstream instances tried in turn; an instance that fails ``max_fails`` times
in a row (refused, timed out, or answered 502/503/504) is ejected for
``fail_timeout`` seconds, as nginx's ``max_fails`` / ``fail_timeout`` do. When every
instance is ejected, the one whose ejection ends first is tried anyway (Envoy's
"panic" routing): the circuit breaker, not the pool, decides to stop calling.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from backbone.gateway.config import RouteConfig

__all__ = ["Instance", "Route", "RouteTable", "UpstreamPool"]

logger = logging.getLogger(__name__)

FAILURE_STATUSES = frozenset({502, 503, 504})


@dataclass(slots=True)
class Instance:
    """One upstream server of a route."""

    url: str
    netloc: str = field(init=False)
    fails: int = 0
    ejected_until: float = 0.0

    def __post_init__(self) -> None:
        self.netloc = urlsplit(self.url).netloc


class UpstreamPool:
    """Round-robin over a route's instances, skipping those ejected for failing."""

    def __init__(
        self,
        urls: Iterable[str],
        *,
        max_fails: int,
        fail_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.instances = [Instance(url) for url in urls]
        self.max_fails = max_fails
        self.fail_timeout = fail_timeout
        self._clock = clock
        self._next = 0

    def pick(self) -> Instance:
        """The next healthy instance (or, when none is, the one back soonest)."""
        instances = self.instances
        count = len(instances)
        start = self._next
        self._next = (start + 1) % count
        now = self._clock()
        for step in range(count):
            instance = instances[(start + step) % count]
            if instance.ejected_until <= now:
                return instance
        return min(instances, key=lambda instance: instance.ejected_until)

    def report(self, instance: Instance, *, ok: bool) -> None:
        """Record an attempt's outcome on ``instance``."""
        if ok:
            instance.fails = 0
            return
        instance.fails += 1
        if instance.fails >= self.max_fails:
            instance.fails = 0
            instance.ejected_until = self._clock() + self.fail_timeout
            logger.warning(
                "upstream_ejected upstream=%s seconds=%s", instance.url, self.fail_timeout
            )

    def healthy(self) -> int:
        """How many instances are not ejected right now."""
        now = self._clock()
        return sum(instance.ejected_until <= now for instance in self.instances)


@dataclass(slots=True)
class Route:
    """A configured route, its pool, and the bytes it matches."""

    config: RouteConfig
    pool: UpstreamPool
    prefix: bytes = field(init=False)
    label: str = field(init=False)

    def __post_init__(self) -> None:
        self.prefix = self.config.prefix.encode("ascii")
        self.label = self.config.label


class RouteTable:
    """The routes, longest prefix first."""

    def __init__(
        self, configs: Iterable[RouteConfig], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        routes = [
            Route(
                config,
                UpstreamPool(
                    config.upstreams,
                    max_fails=config.max_fails,
                    fail_timeout=config.fail_timeout,
                    clock=clock,
                ),
            )
            for config in configs
        ]
        self.routes = sorted(routes, key=lambda route: len(route.prefix), reverse=True)

    def match(self, raw_path: bytes) -> Route | None:
        """The route for ``raw_path`` (segment-boundary prefix match), or None."""
        for route in self.routes:
            prefix = route.prefix
            if raw_path.startswith(prefix) and (
                len(raw_path) == len(prefix) or raw_path[len(prefix)] == 0x2F  # "/"
            ):
                return route
        return None

    def by_label(self, label: str) -> Route | None:
        """The route called ``label``."""
        return next((route for route in self.routes if route.label == label), None)
