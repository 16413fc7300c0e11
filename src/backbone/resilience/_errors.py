"""The exceptions of ``backbone.resilience`` and the attempt records they carry.

Exception tree::

    Exception
    └── ResilienceError             the root: catch this to catch everything below
        ├── RetryExhaustedError     the request failed on its last allowed attempt, or
        │                           the retry budget had no token for another one
        │                           (.attempts, .last_response, __cause__ = last failure)
        └── CircuitOpenError        the host's circuit breaker is open: no call was made
                                    (.origin, .retry_in)

``RetryExhaustedError.__cause__`` is the last attempt's exception (an
``httpx.TransportError`` such as ``httpx.ConnectTimeout``), or an
``httpx.HTTPStatusError`` built from the last response when the last attempt
failed with a retryable status.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

__all__ = ["AttemptRecord", "CircuitOpenError", "ResilienceError", "RetryExhaustedError"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptRecord:
    """What happened on one failed attempt of a request."""

    number: int
    """1 for the first attempt."""
    method: str
    url: str
    """The request's URL, its credentials masked (:func:`redact_urls`)."""
    status: int | None
    """The response status, when the attempt got a response."""
    error: str | None
    """``repr()`` of the exception, when the attempt raised one (URLs in it masked)."""
    wait: float
    """Seconds waited before this attempt (0.0 for the first)."""
    elapsed: float
    """Seconds from the start of the request to the end of this attempt."""

    @property
    def outcome(self) -> str:
        """The status with its reason phrase, or the exception's repr."""
        if self.status is not None:
            return f"{self.status} {httpx.codes.get_reason_phrase(self.status)}".rstrip()
        return str(self.error)

    def describe(self) -> str:
        """One line: attempt number, wait before it, outcome and elapsed time."""
        waited = f" after waiting {self.wait:.3g}s" if self.number > 1 else ""
        return f"#{self.number}{waited}: {self.outcome} (at {self.elapsed:.3f}s)"


class ResilienceError(Exception):
    """The root of every exception raised by ``backbone.resilience``."""


class RetryExhaustedError(ResilienceError):
    """The request failed on every attempt it was allowed; nothing is left to try.

    The message ends with the reason and one line per attempt; a retry budget's refusal
    says "retry budget exhausted".
    """

    def __init__(
        self,
        message: str,
        *,
        attempts: list[AttemptRecord],
        last_response: httpx.Response | None,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_response = last_response
        """The last attempt's response (closed), or ``None`` if it raised."""


class CircuitOpenError(ResilienceError):
    """The circuit breaker of ``origin`` is open: the request failed fast, unsent."""

    def __init__(self, origin: str, *, retry_in: float) -> None:
        super().__init__(f"circuit open for {origin}: failing fast (next trial in {retry_in:.3g}s)")
        self.origin = origin
        self.retry_in = retry_in
        """Seconds until the breaker lets a trial request through (0.0 = a trial is running)."""
