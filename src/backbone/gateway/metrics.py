"""The gateway's Prometheus metrics, in the app's own registry.

- ``gateway_requests_total{route, method, status}``: proxied requests by answer;
- ``gateway_upstream_duration_seconds{route}``: time until the upstream's headers;
- ``gateway_upstream_retries_total{route}``: retries made (bounded by the retry budget);
- ``gateway_circuit_state{route, state}``: 1 for the breaker's current state;
- ``gateway_rate_limited_total{route}``: requests refused with 429;
- ``gateway_rate_limiter_errors_total``: requests let through because Redis failed.

The label children of the hot path are cached: ``labels()`` costs more than ``inc()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from backbone.core.http import HTTP_METHODS

__all__ = ["CIRCUIT_STATES", "GatewayMetrics"]

CIRCUIT_STATES = ("closed", "open", "half-open")
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _CircuitCollector(Collector):
    """Reads each route's breaker state when scraped (nothing to update on the hot path)."""

    def __init__(self, routes: Iterable[str], state_of: Callable[[str], str]) -> None:
        self._routes = tuple(routes)
        self._state_of = state_of

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "gateway_circuit_state",
            "1 for the current state of each route's circuit breaker.",
            labels=("route", "state"),
        )
        for route in self._routes:
            current = self._state_of(route)
            for state in CIRCUIT_STATES:
                family.add_metric((route, state), 1.0 if state == current else 0.0)
        yield family


class GatewayMetrics:
    """The gateway's counters and histograms."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._requests = Counter(
            "gateway_requests",
            "Proxied requests, by route, method and the status answered to the client.",
            ("route", "method", "status"),
            registry=registry,
        )
        self._upstream = Histogram(
            "gateway_upstream_duration_seconds",
            "Time from sending a request upstream until its response headers, by route.",
            ("route",),
            buckets=_BUCKETS,
            registry=registry,
        )
        self._retries = Counter(
            "gateway_upstream_retries", "Retries of upstream requests, by route.", ("route",),
            registry=registry,
        )  # fmt: skip
        self._limited = Counter(
            "gateway_rate_limited", "Requests refused by the rate limit, by route.", ("route",),
            registry=registry,
        )  # fmt: skip
        self.limiter_errors = Counter(
            "gateway_rate_limiter_errors",
            "Requests let through unchecked because the rate limiter's Redis failed.",
            registry=registry,
        )
        self._request_children: dict[tuple[str, str, int], Callable[[], None]] = {}
        self._upstream_children: dict[str, Callable[[float], None]] = {}

    def watch_circuits(self, routes: Iterable[str], state_of: Callable[[str], str]) -> None:
        """Export ``gateway_circuit_state`` for ``routes``, read through ``state_of``."""
        self.registry.register(_CircuitCollector(routes, state_of))

    def request(self, route: str, method: str, status: int) -> None:
        """Count one request answered with ``status``."""
        key = (route, method if method in HTTP_METHODS else "OTHER", status)
        inc = self._request_children.get(key)
        if inc is None:
            inc = self._requests.labels(key[0], key[1], str(status)).inc
            self._request_children[key] = inc
        inc()

    def upstream(self, route: str, seconds: float) -> None:
        """Observe the upstream's time to headers."""
        observe = self._upstream_children.get(route)
        if observe is None:
            observe = self._upstream_children[route] = self._upstream.labels(route).observe
        observe(seconds)

    def retry(self, route: str) -> None:
        """Count one retry."""
        self._retries.labels(route).inc()

    def rate_limited(self, route: str) -> None:
        """Count one 429."""
        self._limited.labels(route).inc()
