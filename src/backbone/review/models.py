"""The review table: the jobs layer's job columns plus what a review is of.

One row per review: a pull request at one head commit, recorded by one webhook delivery.
The API answers from this table alone. Two rules live in its indexes, so every replica
of the service shares them:

- the delivery's ``X-GitHub-Delivery`` is the jobs layer's idempotency key (unique: a
  redelivery finds the row it made);
- one open or complete review per repository, pull request and head SHA (a partial
  unique index): a second delivery for the same head names the first review.

A review's states are a job's (:mod:`backbone.jobs`) without the approval step; a review
of an older head is cancelled with the reason ``superseded by <sha>``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, Index, String, Table, text
from sqlmodel import Field

from backbone.jobs import JobState, JobTableMixin, job_indexes

__all__ = ["HEAD_INDEX", "LIVE_STATES", "REVIEW_JOBS", "ReviewJob", "ReviewState"]

HEAD_INDEX = "ux_review_jobs_head"
LIVE_STATES = (JobState.PENDING.value, JobState.IN_PROGRESS.value, JobState.COMPLETE.value)
"""The states that make a head "reviewed or being reviewed": a failed or cancelled review
of a head does not stop a new one."""


class ReviewState(StrEnum):
    """The states a review goes through (equal to the layer's states of the same name)."""

    PENDING = JobState.PENDING.value
    IN_PROGRESS = JobState.IN_PROGRESS.value
    COMPLETE = JobState.COMPLETE.value
    FAILED = JobState.FAILED.value
    CANCELLED = JobState.CANCELLED.value


def _live() -> str:
    return "state IN (" + ", ".join(f"'{state}'" for state in LIVE_STATES) + ")"


class ReviewJob(JobTableMixin, table=True):
    """One review of one pull request at one head commit."""

    __tablename__ = "review_jobs"
    __table_args__ = (
        *job_indexes("review_jobs"),
        Index(
            HEAD_INDEX,
            "repository",
            "pull_number",
            "head_sha",
            unique=True,
            postgresql_where=text(_live()),
        ),
        Index("ix_review_jobs_pull", "repository", "pull_number", "created_at"),
    )

    repository: str = Field(max_length=140)
    """``owner/name``."""
    pull_number: int = Field(ge=1, sa_type=BigInteger)
    head_sha: str = Field(sa_type=String(40))
    head_updated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    """The pull request's ``updated_at`` in the delivery: which of two heads is newer."""
    title: str = Field(default="", max_length=1024)
    delivery: str = Field(max_length=100)
    action: str = Field(max_length=32)
    sender: str = Field(default="", max_length=100)
    installation_id: int | None = Field(default=None, sa_type=BigInteger)
    findings: int | None = Field(default=None, ge=0)
    comment_url: str | None = Field(default=None, max_length=500)
    review_url: str | None = Field(default=None, max_length=500)


REVIEW_JOBS: Table = ReviewJob.__table__  # type: ignore[attr-defined]
"""The review table, for Core statements."""
