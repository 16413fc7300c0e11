"""Request and response bodies of contracts/openapi/reports.yaml."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Row

from backbone.core.pagination import Page
from backbone.jobs import CANCELLABLE_STATES, FINAL_STATES, JobState
from backbone.reports.models import ReportState

__all__ = [
    "JobAccepted",
    "JobLinks",
    "JobPage",
    "JobStatus",
    "ReportRequest",
    "page_of_jobs",
    "report_path",
    "status_path",
]

# No control characters (PostgreSQL cannot store NUL). Bodies are parsed as JSON by
# pydantic, which refuses a lone surrogate escape ("\ud800") before this is checked.
Title = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1F\x7F]*$", strict=True),
]


class ReportRequest(BaseModel):
    """The body of ``POST /generate-report`` (optional, every member optional)."""

    model_config = ConfigDict(extra="forbid")

    title: Title = Field(default="Report", description="A title (no control characters).")


class JobAccepted(BaseModel):
    """The 202's body."""

    job_id: uuid.UUID


def status_path(job_id: uuid.UUID) -> str:
    """The job's status URL, relative."""
    return f"/reports/{job_id}/status"


def report_path(job_id: uuid.UUID) -> str:
    """The job's report URL (``GET``; ``DELETE`` cancels), relative."""
    return f"/reports/{job_id}"


class JobLinks(BaseModel):
    """Where to go from a job's status."""

    status: str
    report: str | None = Field(description="Set once the job is complete.")
    cancel: str | None = Field(description="Set while the job can be cancelled.")


class JobStatus(BaseModel):
    """A report job as the API shows it."""

    job_id: uuid.UUID
    title: str
    status: ReportState
    progress: int
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    links: JobLinks

    @classmethod
    def of(cls, job: Row[Any]) -> JobStatus:
        """The status of ``job``, a row of the job table."""
        state = ReportState(job.state)
        return cls(
            job_id=job.id,
            title=job.title,
            status=state,
            progress=job.progress,
            attempts=job.attempts,
            error=job.error,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            links=JobLinks(
                status=status_path(job.id),
                report=report_path(job.id) if state is ReportState.COMPLETE else None,
                cancel=report_path(job.id) if JobState(state) in CANCELLABLE_STATES else None,
            ),
        )

    @property
    def final(self) -> bool:
        """True once the job is complete, failed or cancelled."""
        return JobState(self.status) in FINAL_STATES


JobPage = Page[JobStatus]
"""One page of jobs, newest first."""


def page_of_jobs(
    jobs: Sequence[Row[Any]], *, total: int, limit: int, offset: int, status: ReportState | None
) -> Page[JobStatus]:
    """The page holding ``jobs`` out of ``total``; ``next`` keeps the ``status`` filter."""
    items = [JobStatus.of(job) for job in jobs]
    filters = {"status": None if status is None else status.value}
    return JobPage.of(
        items, total=total, limit=limit, offset=offset, path="/reports", filters=filters
    )
