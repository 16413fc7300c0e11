"""The configuration objects: what is retried, how long to wait, when to fail fast."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from backbone.resilience._backoff import Jitter

__all__ = [
    "DEFAULT_EXCEPTIONS",
    "DEFAULT_METHODS",
    "DEFAULT_STATUSES",
    "CircuitBreakerConfig",
    "RetryPolicy",
]

DEFAULT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
"""Idempotent methods (RFC 9110 §9.2.2): retried without the caller's say-so."""

DEFAULT_STATUSES = frozenset({429, *range(500, 600)})
"""Every 5xx status, and 429 Too Many Requests."""

DEFAULT_EXCEPTIONS: tuple[type[Exception], ...] = (httpx.TransportError,)
"""Timeouts, connection errors and every other httpx transport error."""

_JITTERS = frozenset({"none", "full", "equal", "decorrelated"})


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """When to retry and how long to wait; immutable, so one instance can be shared.

    ``max_retries`` counts retries after the first attempt: 3 means 4 attempts in all.
    The wait before retry ``n`` is ``initial_delay * 2 ** (n - 1)`` capped at
    ``max_delay`` (jittered if ``jitter`` says so), or what ``Retry-After`` asks for
    (capped at ``max_retry_after``) when that is longer. With a ``deadline`` (seconds
    from the start of the request), no retry starts whose wait would cross it: the
    client gives up at once instead. POST and PATCH (anything outside ``methods``) are
    retried only with ``retry_non_idempotent=True`` or an ``Idempotency-Key`` header.
    """

    max_retries: int = 3
    initial_delay: float = 1.0
    max_delay: float = 60.0
    jitter: Jitter = "none"
    methods: frozenset[str] = DEFAULT_METHODS
    statuses: frozenset[int] = DEFAULT_STATUSES
    exceptions: tuple[type[Exception], ...] = DEFAULT_EXCEPTIONS
    retry_non_idempotent: bool = False
    respect_retry_after: bool = True
    max_retry_after: float = 60.0
    deadline: float | None = None

    def __post_init__(self) -> None:
        _require(self.max_retries >= 0, "max_retries must be >= 0")
        _require(self.initial_delay >= 0, "initial_delay must be >= 0")
        _require(self.max_delay >= 0, "max_delay must be >= 0")
        _require(self.max_retry_after >= 0, "max_retry_after must be >= 0")
        _require(self.deadline is None or self.deadline > 0, "deadline must be > 0")
        _require(self.jitter in _JITTERS, f"jitter must be one of {sorted(_JITTERS)}")
        _require(
            all(isinstance(t, type) and issubclass(t, Exception) for t in self.exceptions),
            "exceptions must be Exception subclasses (cancellation is never retried)",
        )
        object.__setattr__(self, "methods", _upper(self.methods))
        object.__setattr__(self, "statuses", frozenset(self.statuses))
        object.__setattr__(self, "exceptions", tuple(self.exceptions))


@dataclass(frozen=True, slots=True, kw_only=True)
class CircuitBreakerConfig:
    """One breaker per origin (scheme, host, port).

    A *request* that ends in ``RetryExhaustedError`` is one failure (its retries are
    not counted separately); any other completed request is a success and resets the
    count. After ``failure_threshold`` consecutive failures the breaker opens and every
    request to that origin raises ``CircuitOpenError`` without a network call. Once
    ``reset_timeout`` seconds have passed, one trial request goes through (half-open):
    its success closes the breaker, its failure opens it again.
    """

    failure_threshold: int = 5
    reset_timeout: float = 30.0

    def __post_init__(self) -> None:
        _require(self.failure_threshold >= 1, "failure_threshold must be >= 1")
        _require(self.reset_timeout >= 0, "reset_timeout must be >= 0")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _upper(methods: Iterable[str]) -> frozenset[str]:
    return frozenset(method.upper() for method in methods)
