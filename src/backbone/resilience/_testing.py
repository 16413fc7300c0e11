"""A testing mode for users' own test suites: no waiting, and few attempts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["is_testing", "set_testing", "testing", "testing_attempts"]


class _Mode:
    """The process-wide switch (like stamina's): ``attempts`` is None when off."""

    attempts: int | None = None


_MODE = _Mode()


def set_testing(testing: bool, *, attempts: int = 1) -> None:
    """Switch the testing mode on or off for every ``ResilientClient``.

    While it is on, retries never wait (neither the backoff nor ``Retry-After`` is
    slept, though hooks still see the wait that would have been used) and a request
    makes at most ``attempts`` attempts (1 = no retries).
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    _MODE.attempts = attempts if testing else None


def is_testing() -> bool:
    """Whether the testing mode is on."""
    return _MODE.attempts is not None


def testing_attempts() -> int | None:
    """The attempt cap of the testing mode, or ``None`` when it is off."""
    return _MODE.attempts


@contextmanager
def testing(*, attempts: int = 1) -> Iterator[None]:  # noqa: PT028 - not a test function
    """The testing mode for the duration of a ``with`` block; the previous mode after."""
    previous = _MODE.attempts
    set_testing(True, attempts=attempts)
    try:
        yield
    finally:
        _MODE.attempts = previous


# Users import ``testing`` into their test modules: pytest must not collect it as a test.
testing.__test__ = False  # type: ignore[attr-defined]
