"""How long to wait before a retry: the exponential formula, jitter, and ``Retry-After``."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

__all__ = ["Jitter", "exponential_delay", "jittered_delay", "parse_retry_after"]

Jitter = Literal["none", "full", "equal", "decorrelated"]

# delta-seconds (RFC 9110 §10.2.3) and, leniently, a decimal fraction ("1.5").
_DELTA_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def exponential_delay(retry: int, initial_delay: float) -> float:
    """The seed's backoff: seconds to wait before retry number ``retry`` (1-based)."""
    # The formula:   delay(n) = initial_delay * 2 ** (n - 1)
    #
    #   n  is the retry number: n = 1 is the first retry, i.e. the second attempt.
    #   The delay doubles with every retry, starting from initial_delay:
    #       initial_delay = 1.0  ->  n = 1: 1.0 s,  n = 2: 2.0 s,  n = 3: 4.0 s, ...
    #
    # The caller caps the result at RetryPolicy.max_delay; the exponent is kept
    # below 1024 so that a huge retry number cannot overflow the float.
    exponent = min(retry - 1, 1023)
    return initial_delay * 2.0**exponent


def jittered_delay(
    retry: int,
    *,
    initial_delay: float,
    max_delay: float,
    jitter: Jitter,
    previous: float,
    random: Callable[[], float],
) -> float:
    """The capped, jittered wait before retry ``retry``.

    Jitter follows the AWS Architecture Blog's "Exponential Backoff And Jitter":

    * ``none``: ``min(cap, base * 2 ** (n - 1))``, the seed's formula, exact;
    * ``full``: ``uniform(0, min(cap, base * 2 ** (n - 1)))``;
    * ``equal``: ``t / 2 + uniform(0, t / 2)`` with ``t = min(cap, base * 2 ** (n - 1))``;
    * ``decorrelated``: ``min(cap, uniform(base, previous * 3))``, ``previous`` being the
      last wait (``base`` before the first retry).

    ``random`` returns a float in ``[0, 1)``.
    """
    if jitter == "decorrelated":
        low = initial_delay
        return min(max_delay, low + (previous * 3.0 - low) * random())
    delay = min(max_delay, exponential_delay(retry, initial_delay))
    if jitter == "full":
        return delay * random()
    if jitter == "equal":
        return delay / 2.0 + delay / 2.0 * random()
    return delay


def parse_retry_after(value: str | None, now: Callable[[], datetime]) -> float | None:
    """Seconds a ``Retry-After`` header asks for, or ``None`` when absent or unusable.

    Accepts delta-seconds (a decimal fraction too) and an HTTP-date; a date in the
    past gives 0.0. Empty, negative and unparseable values give ``None``
    (the caller falls back to its backoff). Large values are returned as they are:
    the caller caps them.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)  # an absurdly long string of digits gives inf: capped later
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())
