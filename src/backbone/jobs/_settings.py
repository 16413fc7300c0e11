"""The settings of a job queue: the broker, the queue, the time limits, retries, sweeps.

A service subclasses :class:`JobQueueSettings` with its own ``env_prefix``, and every
setting below becomes ``<PREFIX><NAME>`` (``BACKBONE_REPORTS_QUEUE``...); the core
settings (``REDIS_URL``, ``DATABASE_URL``, ``LOG_LEVEL``...) keep their own names::

    class ReportsSettings(JobQueueSettings):
        model_config = SettingsConfigDict(env_prefix="BACKBONE_REPORTS_", ...)

The limits must rise in this order: soft time limit < hard time limit < visibility
timeout (a job still running when Redis hands its message to another worker would run
twice at once; one killed at the hard limit must be gone before that).
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from backbone.core.config import CoreSettings

__all__ = ["JobQueueSettings"]


class JobQueueSettings(CoreSettings):
    """A job queue's settings (``BACKBONE_JOBS_*`` unless a subclass names its prefix)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_prefix="BACKBONE_JOBS_",
        extra="ignore",
        validate_default=True,
        populate_by_name=True,
    )

    broker_url: str | None = None
    """The broker, when it is not ``REDIS_URL`` (``amqp://`` for RabbitMQ works too)."""
    queue: str = Field(default="jobs", pattern=r"^[a-z][a-z0-9_.-]{0,63}$")
    visibility_timeout: float = Field(default=120.0, gt=0)
    """Seconds an unacknowledged job stays invisible before Redis delivers it again."""
    soft_time_limit: float = Field(default=60.0, gt=0)
    """Seconds after which a job is asked to stop (and failed with the reason)."""
    time_limit: float = Field(default=90.0, gt=0)
    """Seconds after which the process running a job is killed (the job is delivered again)."""
    max_attempts: int = Field(default=3, ge=1, le=100)
    """Deliveries of one job (redeliveries after a lost worker included) before it fails."""
    retry_after: int = Field(default=2, ge=1, le=3600)
    """The ``Retry-After`` (seconds) of a 202 and of a 503."""
    database_timeout: float = Field(default=5.0, gt=0, le=60)
    """Seconds the API waits to connect to PostgreSQL (then 503), instead of asyncpg's 60."""
    database_pool_size: int = Field(default=20, ge=1, le=200)
    """Connections the API's pool opens at most (as requests need them, then kept): size it
    to the requests in flight; past it, a request waits for one (``database_timeout``)."""
    missing_row_retries: int = Field(default=5, ge=0, le=100)
    """Times a worker retries a job whose row it cannot see yet, before dropping it.

    The API publishes inside its transaction and commits after, so a fast worker can
    see the message first; a row that never commits means the submit failed (503).
    """
    missing_row_delay: float = Field(default=1.0, gt=0, le=60)
    """Seconds between those retries."""
    reconcile_interval: float = Field(default=60.0, ge=0, le=86400)
    """Seconds between a worker's sweeps for jobs whose message is gone (0: never)."""
    reconcile_after: float = Field(default=300.0, gt=0, le=86400)
    """Seconds since a job's last publish before a sweep may publish it again."""

    @model_validator(mode="after")
    def _limits_fit(self) -> Self:
        if not self.soft_time_limit < self.time_limit < self.visibility_timeout:
            raise ValueError(
                "need soft_time_limit < time_limit < visibility_timeout (got "
                f"{self.soft_time_limit:g} < {self.time_limit:g} < {self.visibility_timeout:g})"
            )
        if self.missing_row_delay >= self.visibility_timeout:
            # A retried message waits in the worker, unacknowledged, for its countdown.
            raise ValueError("need missing_row_delay < visibility_timeout")
        return self

    @property
    def broker(self) -> str | None:
        """The broker URL: ``broker_url``, else ``REDIS_URL``."""
        return self.broker_url or self.redis_url
