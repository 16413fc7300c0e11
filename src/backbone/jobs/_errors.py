"""The jobs layer's errors (the tree is drawn in the package's docstring)."""

from __future__ import annotations

__all__ = [
    "BrokerUnavailable",
    "DatabaseUnavailable",
    "IdempotencyKeyReused",
    "JobCancelled",
    "JobsError",
]


class JobsError(Exception):
    """Every error the jobs layer raises."""


class DatabaseUnavailable(JobsError):
    """The job table could not be reached."""


class BrokerUnavailable(JobsError):
    """The job could not be handed to the broker."""


class JobCancelled(JobsError):
    """The job is no longer in progress (cancelled): stop, leave nothing behind."""


class IdempotencyKeyReused(JobsError):
    """The idempotency key names a job asked for with another request (nothing recorded)."""
