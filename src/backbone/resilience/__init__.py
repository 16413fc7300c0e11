"""``backbone.resilience``: an async HTTP client that survives flaky services.

``ResilientClient`` wraps ``httpx.AsyncClient`` with retries (exponential backoff,
optional jitter, ``Retry-After``, a total deadline), per-origin circuit breakers, a
client-wide retry budget (``RetryBudget``: retries stay a bounded share of the traffic,
so they cannot multiply the load on a failing upstream), hooks for instrumentation
a testing mode, and :func:`redact_urls`, which keeps credentials in URLs out of its
messages, log lines and hook events. It imports only the standard library and httpx
(``prometheus_hooks()`` imports prometheus-client when called).

Exception tree::

    Exception
    └── ResilienceError             the root: catch this to catch everything below
        ├── RetryExhaustedError     the request failed on its last allowed attempt, or
        │                           the retry budget had no token for another one
        │                           (.attempts, .last_response, __cause__ = last failure)
        └── CircuitOpenError        the origin's circuit breaker is open: no call was made

Example::

    async with ResilientClient(max_retries=3, initial_delay=1.0) as client:
        response = await client.get("http://127.0.0.1:9003/flaky/demo")

    # A gateway: requests built beforehand, streamed, retries capped at ~20% of traffic.
    async with ResilientClient(budget=RetryBudget(ratio=0.2)) as client:
        response = await client.send(request, stream=True)
        try:
            ...
        finally:
            await response.aclose()
"""

from backbone.resilience._backoff import Jitter, exponential_delay, parse_retry_after
from backbone.resilience._budget import RetryBudget
from backbone.resilience._client import BodyOptions, Options, ResilientClient
from backbone.resilience._errors import (
    AttemptRecord,
    CircuitOpenError,
    ResilienceError,
    RetryExhaustedError,
)
from backbone.resilience._instrumentation import (
    GiveUpEvent,
    GiveUpHook,
    PrometheusHooks,
    RetryEvent,
    RetryHook,
    prometheus_hooks,
)
from backbone.resilience._policy import (
    DEFAULT_EXCEPTIONS,
    DEFAULT_METHODS,
    DEFAULT_STATUSES,
    CircuitBreakerConfig,
    RetryPolicy,
)
from backbone.resilience._redact import redact_urls
from backbone.resilience._testing import is_testing, set_testing, testing

__all__ = [
    "DEFAULT_EXCEPTIONS",
    "DEFAULT_METHODS",
    "DEFAULT_STATUSES",
    "AttemptRecord",
    "BodyOptions",
    "CircuitBreakerConfig",
    "CircuitOpenError",
    "GiveUpEvent",
    "GiveUpHook",
    "Jitter",
    "Options",
    "PrometheusHooks",
    "ResilienceError",
    "ResilientClient",
    "RetryBudget",
    "RetryEvent",
    "RetryExhaustedError",
    "RetryHook",
    "RetryPolicy",
    "exponential_delay",
    "is_testing",
    "parse_retry_after",
    "prometheus_hooks",
    "redact_urls",
    "set_testing",
    "testing",
]
