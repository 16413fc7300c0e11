"""The jobs layer's errors (the tree is drawn in the package's docstring)."""

from __future__ import annotations

from typing import Any

__all__ = ["BrokerUnavailable", "DatabaseUnavailable", "JobCancelled", "JobFailed", "JobsError"]


class JobsError(Exception):
    """Every error the jobs layer raises."""


class DatabaseUnavailable(JobsError):
    """The job table could not be reached."""


class BrokerUnavailable(JobsError):
    """The job could not be handed to the broker."""


class JobCancelled(JobsError):
    """The job is no longer in progress (cancelled): stop, leave nothing behind."""


class JobFailed(JobsError):
    """Raised by a handler to fail its job with ``reason`` and keep ``result``: what the run
    had done before it stopped (the runner records both; an ordinary exception keeps the
    result the job had)."""

    def __init__(self, reason: str, *, result: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.result = result
