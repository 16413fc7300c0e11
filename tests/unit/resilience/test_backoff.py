"""The backoff formula, jitter, Retry-After parsing and the policy's validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from backbone.resilience import (
    DEFAULT_STATUSES,
    CircuitBreakerConfig,
    RetryPolicy,
    exponential_delay,
    parse_retry_after,
)
from backbone.resilience._backoff import jittered_delay

NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_exponential_delay_is_the_seed_formula() -> None:
    """delay(n) = initial_delay * 2 ** (n - 1): 1, 2, 4, 8 for initial_delay 1."""
    assert [exponential_delay(n, 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert exponential_delay(3, 0.5) == 2.0


def test_exponential_delay_does_not_overflow() -> None:
    """A huge retry number gives a huge but finite float, not OverflowError."""
    assert exponential_delay(10_000, 1.0) == 2.0**1023


def _jitter(jitter: str, retry: int, r: float, previous: float = 0.0) -> float:
    return jittered_delay(
        retry,
        initial_delay=1.0,
        max_delay=10.0,
        jitter=jitter,  # type: ignore[arg-type]
        previous=previous or 1.0,
        random=lambda: r,
    )


def test_no_jitter_is_exact_and_capped() -> None:
    """Without jitter the delay is the formula, capped at max_delay."""
    assert [_jitter("none", n, 0.5) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]


def test_full_jitter() -> None:
    """Full jitter: uniform(0, min(cap, formula))."""
    assert _jitter("full", 3, 0.0) == 0.0
    assert _jitter("full", 3, 0.5) == 2.0
    assert _jitter("full", 5, 0.5) == 5.0


def test_equal_jitter() -> None:
    """Equal jitter: t/2 + uniform(0, t/2)."""
    assert _jitter("equal", 3, 0.0) == 2.0
    assert _jitter("equal", 3, 0.5) == 3.0
    assert _jitter("equal", 5, 0.99) == pytest.approx(9.95)


def test_decorrelated_jitter() -> None:
    """Decorrelated jitter: min(cap, uniform(base, previous * 3))."""
    assert _jitter("decorrelated", 1, 0.0) == 1.0
    assert _jitter("decorrelated", 2, 0.5, previous=2.0) == 3.5
    assert _jitter("decorrelated", 3, 0.99, previous=8.0) == 10.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("  7  ", 7.0),
        ("1.5", 1.5),
        ("Tue, 01 Jan 2030 12:00:30 GMT", 30.0),
        ("Tue, 01 Jan 2030 12:00:30 -0000", 30.0),
        ("Mon, 31 Dec 2029 12:00:00 GMT", 0.0),
        ("9" * 400, float("inf")),
        (None, None),
        ("", None),
        ("   ", None),
        ("garbage", None),
        ("-5", None),
        ("+5", None),
        ("1e3", None),
        ("inf", None),
        ("nan", None),
        ("1_000", None),
        ("Mon, 01 Jan 99999 00:00:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Seconds and HTTP dates parse; past dates give 0; junk, negatives and empties give None."""
    assert parse_retry_after(value, lambda: NOW) == expected


def test_parse_retry_after_uses_the_injected_clock() -> None:
    """An HTTP date is measured from the injected wall clock."""
    later = NOW + timedelta(seconds=10)
    assert parse_retry_after("Tue, 01 Jan 2030 12:00:30 GMT", lambda: later) == 20.0


def test_policy_defaults() -> None:
    """Defaults: idempotent methods, 5xx and 429, httpx transport errors, no jitter."""
    policy = RetryPolicy()
    assert policy.methods == {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}
    assert policy.statuses == DEFAULT_STATUSES
    assert set(range(500, 600)) | {429} == DEFAULT_STATUSES
    assert policy.exceptions == (httpx.TransportError,)
    assert (policy.max_retries, policy.initial_delay, policy.jitter) == (3, 1.0, "none")
    assert policy.deadline is None
    assert not policy.retry_non_idempotent


def test_policy_normalises_its_collections() -> None:
    """Methods are upper-cased; statuses and exceptions become immutable."""
    policy = RetryPolicy(
        methods={"get", "Post"},  # type: ignore[arg-type]
        statuses=[503],  # type: ignore[arg-type]
        exceptions=[httpx.ConnectError],  # type: ignore[arg-type]
    )
    assert policy.methods == frozenset({"GET", "POST"})
    assert policy.statuses == frozenset({503})
    assert policy.exceptions == (httpx.ConnectError,)


def test_policy_is_frozen_and_keyword_only() -> None:
    """A policy cannot be changed after creation nor built positionally."""
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_retries = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        RetryPolicy(3)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"initial_delay": -0.1},
        {"max_delay": -1.0},
        {"max_retry_after": -1.0},
        {"deadline": 0.0},
        {"jitter": "sometimes"},
        {"exceptions": (BaseException,)},
        {"exceptions": ("ConnectError",)},
    ],
)
def test_policy_rejects_bad_values(kwargs: dict[str, object]) -> None:
    """Out-of-range values and non-Exception types are refused at construction."""
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"failure_threshold": 0}, {"reset_timeout": -1.0}])
def test_breaker_config_rejects_bad_values(kwargs: dict[str, float]) -> None:
    """A breaker needs a threshold of at least one and a non-negative reset timeout."""
    with pytest.raises(ValueError, match="must be"):
        CircuitBreakerConfig(**kwargs)  # type: ignore[arg-type]
