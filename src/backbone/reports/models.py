"""The job table: the report processor's own record of every job (never Celery's).

Celery reports any id it has never seen as PENDING, so the API answers from this
table alone: an unknown id is 404, not "pending". A row is written, and committed,
before the 202 is sent.

States::

    pending ──► in-progress ──► complete
       │             │
       │             ├────────► failed      (attempts used up, or the job raised)
       └──────┬──────┘
              ▼
          cancelled                           (DELETE while pending or in progress)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Index, String
from sqlmodel import Field, SQLModel

__all__ = [
    "FINAL_STATES",
    "JOBS",
    "Job",
    "JobBase",
    "JobCreate",
    "JobPublic",
    "JobState",
    "utcnow",
]


def utcnow() -> datetime:
    """Now, timezone-aware (UTC)."""
    return datetime.now(UTC)


class JobState(StrEnum):
    """Where a job is in its life."""

    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({JobState.COMPLETE, JobState.FAILED, JobState.CANCELLED})


class JobBase(SQLModel):
    """What the client chooses."""

    title: str = Field(default="Report", min_length=1, max_length=200)


class JobCreate(JobBase):
    """The body of ``POST /generate-report`` (every member optional)."""


def _timestamp() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=True)


class Job(JobBase, table=True):
    """One report job."""

    __tablename__ = "report_jobs"
    __table_args__ = (
        Index("ix_report_jobs_state_created", "state", "created_at"),
        Index("ix_report_jobs_state_enqueued", "state", "enqueued_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    state: JobState = Field(default=JobState.PENDING, sa_column=Column(String(16), nullable=False))
    progress: int = Field(default=0, ge=0, le=100)
    attempts: int = Field(default=0, ge=0)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    enqueued_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    """When the job was last handed to the broker (the reconciler's clock)."""
    started_at: datetime | None = Field(default=None, sa_column=_timestamp())
    finished_at: datetime | None = Field(default=None, sa_column=_timestamp())
    report_time: datetime | None = Field(default=None, sa_column=_timestamp())
    """The time written in the report, fixed once: a rerun writes the same file."""


JOBS = SQLModel.metadata.tables[str(Job.__tablename__)]
"""The job table, for Core statements (the worker's, and the API's INSERT)."""


class JobPublic(JobBase):
    """A job as the API shows it."""

    job_id: uuid.UUID
    status: JobState
    progress: int
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
