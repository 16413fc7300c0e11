"""The report job table: the layer's job columns plus a report's own (title, report time).

The API answers from this table alone, never from Celery (which reports any id it has
never seen as PENDING): an unknown id is 404, not "pending". A row is written, and
committed, before the 202 is sent.

A report job's states are a job's (:mod:`backbone.jobs`) without the approval step::

    pending ──► in-progress ──► complete
       │             │
       │             ├────────► failed      (attempts used up, or the job raised)
       └──────┬──────┘
              ▼
          cancelled                           (DELETE while pending or in progress)
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Table
from sqlmodel import Field

from backbone.jobs import JobState, JobTableMixin, job_indexes

__all__ = ["REPORT_JOBS", "ReportJob", "ReportState"]


class ReportState(StrEnum):
    """The states a report job goes through (equal to the layer's states of the same name)."""

    PENDING = JobState.PENDING.value
    IN_PROGRESS = JobState.IN_PROGRESS.value
    COMPLETE = JobState.COMPLETE.value
    FAILED = JobState.FAILED.value
    CANCELLED = JobState.CANCELLED.value


class ReportJob(JobTableMixin, table=True):
    """One report job."""

    __tablename__ = "report_jobs"
    __table_args__ = job_indexes("report_jobs")

    title: str = Field(default="Report", min_length=1, max_length=200)
    report_time: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    """The time written in the report, fixed once: a rerun writes the same file."""


REPORT_JOBS: Table = ReportJob.__table__  # type: ignore[attr-defined]
"""The job table, for Core statements."""
