"""The report processor's settings: where reports go, how long a job takes, its job queue.

Every value has a ``BACKBONE_REPORTS_*`` variable (the queue's settings are the jobs
layer's, :class:`~backbone.jobs.JobQueueSettings`, under this prefix). The broker is
``REDIS_URL`` unless ``BACKBONE_REPORTS_BROKER_URL`` names another (``amqp://`` for
RabbitMQ works too).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from backbone.jobs import JobQueueSettings

__all__ = ["ReportsSettings", "get_settings"]


class ReportsSettings(JobQueueSettings):
    """``BACKBONE_REPORTS_*`` (and the core) settings of the API and the worker."""

    model_config = SettingsConfigDict(env_prefix="BACKBONE_REPORTS_")

    queue: str = Field(default="reports", pattern=r"^[a-z][a-z0-9_.-]{0,63}$")
    reports_dir: Path = Field(
        default=Path(".backbone/reports"), validation_alias="BACKBONE_REPORTS_DIR"
    )
    """Where the worker writes ``{job_id}.txt`` (created if missing)."""
    job_seconds: float = Field(default=15.0, ge=0, le=3600)
    """How long the report job works (the seed's ``time.sleep(15)``)."""

    @model_validator(mode="after")
    def _job_fits_its_limit(self) -> Self:
        if not self.job_seconds < self.soft_time_limit:
            raise ValueError(
                "need job_seconds < soft_time_limit < time_limit < visibility_timeout "
                f"(got {self.job_seconds:g} < {self.soft_time_limit:g} < "
                f"{self.time_limit:g} < {self.visibility_timeout:g})"
            )
        return self


@lru_cache
def get_settings() -> ReportsSettings:
    """The report processor's settings, read once."""
    return ReportsSettings()
