"""The public surface of backbone.resilience."""

from __future__ import annotations

import backbone.resilience as resilience
from backbone.resilience import (
    CircuitOpenError,
    ResilienceError,
    ResilientClient,
    RetryExhaustedError,
)


def test_all_is_sorted_and_exact() -> None:
    """__all__ lists exactly the public names, sorted (constants first, as isort does)."""
    assert resilience.__all__ == sorted(
        resilience.__all__, key=lambda name: (not name.isupper(), name)
    )
    assert set(resilience.__all__) == {
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
    }
    for name in resilience.__all__:
        assert getattr(resilience, name) is not None


def test_exception_tree_has_one_root() -> None:
    """Every exception of the package derives from ResilienceError, itself an Exception."""
    assert issubclass(ResilienceError, Exception)
    assert issubclass(RetryExhaustedError, ResilienceError)
    assert issubclass(CircuitOpenError, ResilienceError)
    assert "RetryExhaustedError" in (resilience.__doc__ or "")


def test_seed_import_and_constructor() -> None:
    """The seed's spelling works: max_retries and initial_delay configure the policy."""
    client = ResilientClient(max_retries=3, initial_delay=1.0)
    assert client.policy.max_retries == 3
    assert client.policy.initial_delay == 1.0
