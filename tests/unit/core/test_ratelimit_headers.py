"""The rate-limit response headers, from a decision alone (no Redis)."""

from __future__ import annotations

import dataclasses

import pytest

from backbone.core.ratelimit import RateDecision, rate_limit_headers


def _decision(
    *, allowed: bool = True, remaining: int = 7, retry_after: float = 0.0, reset_after: float = 1.2
) -> RateDecision:
    return RateDecision(
        allowed=allowed,
        remaining=remaining,
        retry_after=retry_after,
        limit=10,
        reset_after=reset_after,
    )


def test_allowed_gives_limit_remaining_and_reset() -> None:
    """An allowed request gets the three RateLimit fields and no Retry-After."""
    assert rate_limit_headers(_decision()) == [
        (b"ratelimit-limit", b"10"),
        (b"ratelimit-remaining", b"7"),
        (b"ratelimit-reset", b"2"),
    ]


def test_refused_adds_retry_after() -> None:
    """A refused request also gets Retry-After, in whole seconds rounded up."""
    headers = rate_limit_headers(
        _decision(allowed=False, remaining=0, retry_after=2.01, reset_after=9.5)
    )
    assert headers == [
        (b"ratelimit-limit", b"10"),
        (b"ratelimit-remaining", b"0"),
        (b"ratelimit-reset", b"10"),
        (b"retry-after", b"3"),
    ]


@pytest.mark.parametrize(("retry_after", "expected"), [(0.0, b"1"), (0.001, b"1"), (1.0, b"1")])
def test_retry_after_is_at_least_one_second(retry_after: float, expected: bytes) -> None:
    """Retry-After never says 0: a client told 0 would retry at once and be refused again."""
    headers = dict(rate_limit_headers(_decision(allowed=False, retry_after=retry_after)))
    assert headers[b"retry-after"] == expected


@pytest.mark.parametrize(("reset_after", "expected"), [(0.0, b"0"), (0.3, b"1"), (3.0, b"3")])
def test_reset_is_whole_seconds_rounded_up(reset_after: float, expected: bytes) -> None:
    """RateLimit-Reset is an integer number of seconds, rounded up, 0 when already full."""
    headers = dict(rate_limit_headers(_decision(reset_after=reset_after)))
    assert headers[b"ratelimit-reset"] == expected


def test_header_names_are_lowercase_for_asgi() -> None:
    """ASGI requires lower-case header names; the pairs can go straight into a response."""
    names = [name for name, _ in rate_limit_headers(_decision(allowed=False, retry_after=1.0))]
    assert all(name == name.lower() for name in names)


def test_decision_is_frozen() -> None:
    """A decision cannot be changed after the limiter made it."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        _decision().allowed = False  # type: ignore[misc]
