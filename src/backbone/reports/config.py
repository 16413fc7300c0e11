"""The report processor's settings: where reports go, how long a job takes, Celery's limits.

Every value has a ``BACKBONE_REPORTS_*`` variable. The broker is ``REDIS_URL`` unless
``BACKBONE_REPORTS_BROKER_URL`` names another (``amqp://`` for RabbitMQ works too).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from backbone.core.config import CoreSettings

__all__ = ["ReportsSettings", "get_settings"]


class ReportsSettings(CoreSettings):
    """``BACKBONE_REPORTS_*`` (and the core) settings of the API and the worker."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        populate_by_name=True,
    )

    reports_dir: Path = Field(
        default=Path(".backbone/reports"), validation_alias="BACKBONE_REPORTS_DIR"
    )
    """Where the worker writes ``{job_id}.txt`` (created if missing)."""
    job_seconds: float = Field(
        default=15.0, ge=0, le=3600, validation_alias="BACKBONE_REPORTS_JOB_SECONDS"
    )
    """How long the report job works (the seed's ``time.sleep(15)``)."""
    broker_url: str | None = Field(default=None, validation_alias="BACKBONE_REPORTS_BROKER_URL")
    queue: str = Field(
        default="reports",
        pattern=r"^[a-z][a-z0-9_.-]{0,63}$",
        validation_alias="BACKBONE_REPORTS_QUEUE",
    )
    visibility_timeout: float = Field(
        default=120.0, gt=0, validation_alias="BACKBONE_REPORTS_VISIBILITY_TIMEOUT"
    )
    """Seconds an unacknowledged job stays invisible before Redis delivers it again."""
    soft_time_limit: float = Field(
        default=60.0, gt=0, validation_alias="BACKBONE_REPORTS_SOFT_TIME_LIMIT"
    )
    time_limit: float = Field(default=90.0, gt=0, validation_alias="BACKBONE_REPORTS_TIME_LIMIT")
    max_attempts: int = Field(
        default=3, ge=1, le=100, validation_alias="BACKBONE_REPORTS_MAX_ATTEMPTS"
    )
    """Deliveries of one job (redeliveries after a lost worker included) before it fails."""
    retry_after: int = Field(
        default=2, ge=1, le=3600, validation_alias="BACKBONE_REPORTS_RETRY_AFTER"
    )
    """The ``Retry-After`` (seconds) of a 202 and of a 503."""
    database_timeout: float = Field(
        default=5.0, gt=0, le=60, validation_alias="BACKBONE_REPORTS_DATABASE_TIMEOUT"
    )
    """Seconds the API waits to connect to PostgreSQL (then 503), instead of asyncpg's 60."""
    database_pool_size: int = Field(
        default=20, ge=1, le=200, validation_alias="BACKBONE_REPORTS_DATABASE_POOL_SIZE"
    )
    """Connections the API keeps open: size it to the requests in flight. Past it, up to
    10 more are opened and closed per request, which costs more than the request."""

    missing_row_retries: int = Field(
        default=5, ge=0, le=100, validation_alias="BACKBONE_REPORTS_MISSING_ROW_RETRIES"
    )
    """Times the worker retries a job whose row it cannot see yet, before dropping it.

    The API publishes inside its transaction and commits after, so a fast worker can
    see the message first; a row that never commits means the submit failed (503).
    """
    missing_row_delay: float = Field(
        default=1.0, gt=0, le=60, validation_alias="BACKBONE_REPORTS_MISSING_ROW_DELAY"
    )
    """Seconds between those retries."""

    reconcile_interval: float = Field(
        default=60.0, ge=0, le=86400, validation_alias="BACKBONE_REPORTS_RECONCILE_INTERVAL"
    )
    """Seconds between the worker's sweeps for jobs whose message is gone (0: never)."""
    reconcile_after: float = Field(
        default=300.0, gt=0, le=86400, validation_alias="BACKBONE_REPORTS_RECONCILE_AFTER"
    )
    """Seconds since a job's last publish before a sweep may publish it again."""

    @model_validator(mode="after")
    def _limits_fit(self) -> Self:
        if not self.job_seconds < self.soft_time_limit < self.time_limit < self.visibility_timeout:
            raise ValueError(
                "need job_seconds < soft_time_limit < time_limit < visibility_timeout "
                f"(got {self.job_seconds:g} < {self.soft_time_limit:g} < "
                f"{self.time_limit:g} < {self.visibility_timeout:g})"
            )
        if self.missing_row_delay >= self.visibility_timeout:
            # A retried message waits in the worker, unacknowledged, for its countdown.
            raise ValueError("need missing_row_delay < visibility_timeout")
        return self

    @property
    def broker(self) -> str | None:
        """The broker URL: ``broker_url``, else ``REDIS_URL``."""
        return self.broker_url or self.redis_url


@lru_cache
def get_settings() -> ReportsSettings:
    """The report processor's settings, read once."""
    return ReportsSettings()
