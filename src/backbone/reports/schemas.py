"""Request and response bodies of contracts/openapi/reports.yaml."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backbone.reports.models import FINAL_STATES, Job, JobPublic, JobState

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "JobAccepted",
    "JobLinks",
    "JobPage",
    "JobStatus",
    "ReportRequest",
    "report_path",
    "status_path",
]

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000
CANCELLABLE = frozenset({JobState.PENDING, JobState.IN_PROGRESS})


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


class JobStatus(JobPublic):
    """A job as ``/reports/{job_id}/status`` shows it."""

    links: JobLinks

    @classmethod
    def of(cls, job: Job) -> JobStatus:
        """The status of ``job``, as read from the table."""
        state = JobState(job.state)
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
                report=report_path(job.id) if state is JobState.COMPLETE else None,
                cancel=report_path(job.id) if state in CANCELLABLE else None,
            ),
        )

    @property
    def final(self) -> bool:
        """True once the job is complete, failed or cancelled."""
        return self.status in FINAL_STATES


class JobPage(BaseModel):
    """One page of jobs, newest first."""

    items: list[JobStatus] = Field(max_length=MAX_LIMIT)
    total: int = Field(ge=0, description="How many jobs match the filters, over all pages.")
    limit: int = Field(ge=1, le=MAX_LIMIT)
    offset: int = Field(ge=0)
    next: str | None = Field(
        description="The relative URL of the next page (same filters), or null on the last."
    )

    @classmethod
    def of(
        cls, jobs: list[Job], *, total: int, limit: int, offset: int, status: JobState | None
    ) -> JobPage:
        """The page holding ``jobs`` out of ``total``; ``next`` keeps the ``status`` filter."""
        following = None
        if offset + limit < total and offset + limit <= MAX_OFFSET:
            query: dict[str, object] = {} if status is None else {"status": status.value}
            query.update(limit=limit, offset=offset + limit)
            following = f"/reports?{urlencode(query)}"
        items = [JobStatus.of(job) for job in jobs]
        return cls(items=items, total=total, limit=limit, offset=offset, next=following)
