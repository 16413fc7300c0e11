"""The retry budget: retries may add only a bounded fraction to a client's traffic.

Per-request retries multiply the load on an upstream that is already failing: with
``max_retries=3`` every request becomes four. A budget caps that, client-wide, the way
Finagle's ``RetryBudget``, gRPC's retry throttling and Envoy's retry budgets do. It is a
token bucket shared by all requests of one ``ResilientClient``:

* every first attempt deposits ``ratio`` tokens (0.2: retries add at most 20%);
* tokens also trickle in at ``min_per_second``, so a quiet client can still retry;
* the balance never exceeds ``burst`` (the bucket starts full);
* each retry withdraws one token; with less than one whole token left, the request
  gives up at once with ``RetryExhaustedError`` ("retry budget exhausted").

In the long run a client retries at most ``ratio * requests + min_per_second * seconds
+ burst`` times, however many requests fail and whatever ``max_retries`` says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RetryBudget", "TokenBucket"]

# Deposits of 0.1 add up to 0.9999999999999999 after ten requests: that is a token.
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryBudget:
    """How many retries a client may make, as a share of its requests plus a floor.

    This is configuration, immutable: each ``ResilientClient`` given it keeps its own
    balance. The defaults are Finagle's: 20% of requests, plus 10 retries a second,
    with up to 100 retries saved up (10 s worth of the floor).
    """

    ratio: float = 0.2
    """Tokens deposited by every request's first attempt (a retry costs one token)."""
    min_per_second: float = 10.0
    """Tokens added per second of the client's clock, whatever the traffic."""
    burst: float = 100.0
    """The most tokens the balance holds; also the balance of a new client."""

    def __post_init__(self) -> None:
        _require_finite(self.ratio, "ratio", minimum=0.0)
        _require_finite(self.min_per_second, "min_per_second", minimum=0.0)
        _require_finite(self.burst, "burst", minimum=1.0)
        if self.ratio == 0 and self.min_per_second == 0:
            raise ValueError("ratio and min_per_second are both 0: the budget would never refill")


class TokenBucket:
    """The balance of one client's ``RetryBudget``. Not thread-safe: one event loop uses it.

    Refill is computed lazily, when a retry asks for a token: adding non-negative amounts
    and capping at ``burst`` gives the same balance whether the cap is applied after each
    addition or once at the end, so deposits never need to read the clock.
    """

    __slots__ = ("_balance", "_burst", "_clock", "_rate", "_ratio", "_refilled_at", "budget")

    def __init__(self, budget: RetryBudget, clock: Callable[[], float]) -> None:
        self.budget = budget
        self._ratio = budget.ratio
        self._rate = budget.min_per_second
        self._burst = budget.burst
        self._clock = clock
        self._balance = budget.burst
        self._refilled_at = clock()

    def deposit(self) -> None:
        """A first attempt is being made: add ``ratio`` tokens, up to ``burst``."""
        self._balance = min(self._burst, self._balance + self._ratio)

    def withdraw(self) -> bool:
        """Take one token for a retry; ``False`` (nothing taken) when there is no whole one."""
        now = self._clock()
        refill = (now - self._refilled_at) * self._rate
        self._refilled_at = now
        balance = min(self._burst, self._balance + refill)
        if balance < 1.0 - _EPSILON:
            self._balance = balance
            return False
        self._balance = max(0.0, balance - 1.0)
        return True

    def refusal(self) -> str:
        """The give-up reason when ``withdraw()`` said no."""
        budget = self.budget
        return (
            f"retry budget exhausted: {self._balance:.2f} of a token left "
            f"(ratio={budget.ratio:g}, min_per_second={budget.min_per_second:g})"
        )


def _require_finite(value: float, name: str, *, minimum: float) -> None:
    if not minimum <= value < math.inf:  # NaN fails every comparison
        raise ValueError(f"{name} must be a finite number >= {minimum:g}")
