"""The columns every job table has, and those of a job's steps; each service names its tables.

A service declares its own table, with its own payload columns, and its own Alembic
migration::

    class ReportJob(JobTableMixin, table=True):
        __tablename__ = "report_jobs"
        __table_args__ = job_indexes("report_jobs")

        title: str = Field(default="Report", max_length=200)

The layer's statements work on the table as a SQLAlchemy ``Table`` (``ReportJob.__table__``),
so they see the mixin's columns and leave the payload to the service's handler.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from backbone.jobs._states import JobState

__all__ = ["JobStepMixin", "JobTableMixin", "job_indexes", "step_indexes", "utcnow"]

STATE_LENGTH = 32
ERROR_LENGTH = 500
KEY_LENGTH = 255
DIGEST_LENGTH = 64
_TIMESTAMP = DateTime(timezone=True)


def utcnow() -> datetime:
    """Now, timezone-aware (UTC)."""
    return datetime.now(UTC)


class JobTableMixin(SQLModel):
    """The job's record: identity, owner, state, progress, attempts, result, timestamps."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    owner_id: uuid.UUID | None = Field(default=None)
    """Who may see the job; None for a service without users."""
    state: str = Field(default=JobState.PENDING.value, sa_type=String(STATE_LENGTH), nullable=False)
    progress: int = Field(default=0, ge=0, le=100)
    attempts: int = Field(default=0, ge=0)
    """Deliveries that started the job (a lost worker's included)."""
    error: str | None = Field(default=None, max_length=ERROR_LENGTH)
    """Why the job failed or was cancelled, one line."""
    result: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    """What the job produced (JSON); while awaiting approval, the plan to approve."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=_TIMESTAMP, nullable=False)
    enqueued_at: datetime = Field(default_factory=utcnow, sa_type=_TIMESTAMP, nullable=False)
    """When the job was last handed to the broker (the reconciler's clock)."""
    started_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)
    finished_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)
    approved_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)
    """When a person approved the plan; the delivery after it acts."""
    idempotency_key: str | None = Field(default=None, sa_type=String(KEY_LENGTH))
    """The client's key for the submit that made the job, if it gave one (unique per owner)."""
    idempotency_hash: str | None = Field(default=None, sa_type=String(DIGEST_LENGTH))
    """The SHA-256 (hex) of that submit's request: the same key with another request is
    refused."""


def job_indexes(table: str) -> tuple[Index, ...]:
    """The indexes a job table needs: by state (listing, the reconciler), by owner, and one
    job per idempotency key and owner."""
    return (
        Index(f"ix_{table}_state_created", "state", "created_at"),
        Index(f"ix_{table}_state_enqueued", "state", "enqueued_at"),
        # Only jobs that have an owner: a service without users never pays for it.
        Index(
            f"ix_{table}_owner_created",
            "owner_id",
            "created_at",
            postgresql_where=text("owner_id IS NOT NULL"),
        ),
        # NULLS NOT DISTINCT (PostgreSQL 15+): with no owner the key is unique service-wide;
        # jobs submitted without a key are not in the index at all.
        Index(
            f"ux_{table}_idempotency",
            "idempotency_key",
            "owner_id",
            unique=True,
            postgresql_nulls_not_distinct=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )


class JobStepMixin(SQLModel):
    """One step of a running job (an agent, a tool, what went in and out, when).

    Appended and committed while the job runs, so that a reader can follow them as they
    come (``seq`` orders them within the job; ``attempt`` tells deliveries apart).
    The concrete table declares ``job_id`` with its foreign key to the job table.
    """

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    seq: int = Field(ge=1)
    attempt: int = Field(ge=1)
    agent: str = Field(max_length=100)
    tool: str | None = Field(default=None, max_length=100)
    input: Any = Field(default=None, sa_type=JSONB, nullable=True)
    output: Any = Field(default=None, sa_type=JSONB, nullable=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=_TIMESTAMP, nullable=False)
    finished_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)


def step_indexes(table: str) -> tuple[Index, ...]:
    """A step table's index: one ``seq`` per job, read in order."""
    return (Index(f"ix_{table}_job_seq", "job_id", "seq", unique=True),)
