"""Instrumentation: the retry / give-up events, their hooks, logging and Prometheus."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from backbone.resilience._errors import AttemptRecord

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from backbone.resilience._errors import RetryExhaustedError

__all__ = [
    "GiveUpEvent",
    "GiveUpHook",
    "PrometheusHooks",
    "RetryEvent",
    "RetryHook",
    "call_hook",
    "log_giveup",
    "log_retry",
    "prometheus_hooks",
]

logger = logging.getLogger(__name__)

_E = TypeVar("_E")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryEvent:
    """A retry has been scheduled: attempt ``attempt`` failed, the next comes after ``wait``."""

    attempt: int
    wait: float
    method: str
    url: str
    """Credentials masked, as in every message of this package."""
    reason: str
    """Why the attempt failed: ``"503 Service Unavailable"`` or the exception's repr."""
    status: int | None
    exception: BaseException | None
    elapsed: float


@dataclass(frozen=True, slots=True, kw_only=True)
class GiveUpEvent:
    """The request failed for good; ``error`` is about to be raised."""

    method: str
    url: str
    reason: str
    """Why no further attempt is made: retries exhausted, deadline, not retryable, or
    ``"retry budget exhausted: ..."`` when a ``RetryBudget`` refused the retry."""
    attempts: list[AttemptRecord]
    error: RetryExhaustedError


RetryHook = Callable[[RetryEvent], Awaitable[None] | None]
GiveUpHook = Callable[[GiveUpEvent], Awaitable[None] | None]


async def call_hook(hook: Callable[[_E], Awaitable[None] | None] | None, event: _E) -> None:
    """Call a sync or async hook."""
    if hook is not None:
        result = hook(event)
        if inspect.isawaitable(result):
            await result


def log_retry(event: RetryEvent) -> None:
    """One structured ``retry_scheduled`` warning per retry."""
    logger.warning(
        "retry_scheduled",
        extra={
            "attempt": event.attempt,
            "wait": event.wait,
            "method": event.method,
            "url": event.url,
            "reason": event.reason,
        },
    )


def log_giveup(event: GiveUpEvent) -> None:
    """One structured ``retry_exhausted`` error when a request fails for good."""
    logger.error(
        "retry_exhausted",
        extra={
            "attempts": len(event.attempts),
            "method": event.method,
            "url": event.url,
            "reason": event.reason,
        },
    )


class PrometheusHooks(NamedTuple):
    """Hooks that count retries and give-ups in Prometheus counters."""

    on_retry: RetryHook
    on_giveup: GiveUpHook


def prometheus_hooks(
    *, registry: CollectorRegistry | None = None, namespace: str = "resilient_client"
) -> PrometheusHooks:
    """Build hooks counting ``<namespace>_retries_total`` and ``<namespace>_giveups_total``.

    Labels are ``method`` and ``reason`` (the status code or the exception class
    name), both of bounded cardinality. Needs the optional ``prometheus-client``.
    """
    try:
        import prometheus_client
    except ImportError as exc:
        raise RuntimeError("prometheus_hooks() needs the prometheus-client package") from exc
    registry = registry if registry is not None else prometheus_client.REGISTRY
    retries = prometheus_client.Counter(
        "retries", "Retries scheduled", ["method", "reason"], namespace=namespace, registry=registry
    )
    giveups = prometheus_client.Counter(
        "giveups", "Requests failed for good", ["method"], namespace=namespace, registry=registry
    )

    def on_retry(event: RetryEvent) -> None:
        reason = str(event.status) if event.exception is None else type(event.exception).__name__
        retries.labels(event.method, reason).inc()

    def on_giveup(event: GiveUpEvent) -> None:
        giveups.labels(event.method).inc()

    return PrometheusHooks(on_retry, on_giveup)
