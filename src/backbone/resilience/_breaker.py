"""Circuit breakers, one per origin: closed → open → half-open → closed (or open again)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

import httpx

from backbone.resilience._errors import CircuitOpenError
from backbone.resilience._policy import CircuitBreakerConfig

__all__ = ["BreakerState", "CircuitBreaker", "CircuitBreakers"]


class BreakerState(Enum):
    """The three states of a circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """The breaker of one origin. Not thread-safe: one event loop uses it."""

    __slots__ = ("_clock", "_config", "_failures", "_opened_at", "_trial", "origin", "state")

    def __init__(
        self, origin: str, config: CircuitBreakerConfig, clock: Callable[[], float]
    ) -> None:
        self.origin = origin
        self.state = BreakerState.CLOSED
        self._config = config
        self._clock = clock
        self._failures = 0
        self._opened_at = 0.0
        self._trial = False

    @property
    def current_state(self) -> BreakerState:
        """The state the next request will find: an open breaker past its reset is half-open."""
        if (
            self.state is BreakerState.OPEN
            and self._clock() >= self._opened_at + self._config.reset_timeout
        ):
            return BreakerState.HALF_OPEN
        return self.state

    def before(self) -> None:
        """Let a request through, or raise ``CircuitOpenError``."""
        if self.state is BreakerState.CLOSED:
            return
        if self.state is BreakerState.OPEN:
            remaining = self._opened_at + self._config.reset_timeout - self._clock()
            if remaining > 0:
                raise CircuitOpenError(self.origin, retry_in=remaining)
            self.state = BreakerState.HALF_OPEN
        elif self._trial:
            raise CircuitOpenError(self.origin, retry_in=0.0)
        self._trial = True

    def success(self) -> None:
        """The request completed: close the breaker and forget past failures."""
        self.state = BreakerState.CLOSED
        self._failures = 0
        self._trial = False

    def failure(self) -> None:
        """The request failed for good: count it, and open the breaker if it must."""
        self._failures += 1
        if self.state is BreakerState.HALF_OPEN or self._failures >= self._config.failure_threshold:
            self.state = BreakerState.OPEN
            self._opened_at = self._clock()
            self._trial = False

    def release(self) -> None:
        """The request ended without a verdict (cancelled, or a non-retryable error)."""
        self._trial = False


class CircuitBreakers:
    """The breakers of one client, created on first use, keyed by origin."""

    __slots__ = ("_breakers", "_clock", "_config")

    def __init__(self, config: CircuitBreakerConfig, clock: Callable[[], float]) -> None:
        self._config = config
        self._clock = clock
        self._breakers: dict[tuple[str, str, int | None], CircuitBreaker] = {}

    def state_of(self, url: httpx.URL) -> BreakerState:
        """The current state of the URL's origin's breaker (closed if it was never used)."""
        breaker = self._breakers.get((url.scheme, url.host, url.port))
        return BreakerState.CLOSED if breaker is None else breaker.current_state

    def for_url(self, url: httpx.URL) -> CircuitBreaker:
        """The breaker of the URL's origin (scheme, host, port)."""
        key = (url.scheme, url.host, url.port)
        breaker = self._breakers.get(key)
        if breaker is None:
            origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
            breaker = self._breakers[key] = CircuitBreaker(origin, self._config, self._clock)
        return breaker
