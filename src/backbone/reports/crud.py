"""The job table's queries: keyword-only, one session each, nothing but SQL.

A database that cannot be reached (refused, timed out, connection lost) surfaces as
:class:`DatabaseUnavailable`, which the API answers with 503 and ``Retry-After``;
any other database error is a bug and stays what it is (a 500).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import func
from sqlalchemy import insert as sa_insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backbone.reports.models import JOBS, Job, JobState, utcnow

__all__ = [
    "CANCEL_REASON",
    "DATABASE_ERRORS",
    "DatabaseUnavailable",
    "cancel_job",
    "commit",
    "count_by_state",
    "get_job",
    "insert_job",
    "list_jobs",
]

P = ParamSpec("P")
T = TypeVar("T")

# asyncpg raises OSError (refused, unreachable, TimeoutError) as it is; SQLAlchemy
# wraps what the driver reports about a connection that broke.
DATABASE_ERRORS = (OSError, OperationalError, InterfaceError)
CANCEL_REASON = "Cancelled on request."


class DatabaseUnavailable(Exception):
    """The job table could not be reached."""


def _reaching(query: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """``query`` with an unreachable database reported as :class:`DatabaseUnavailable`."""

    @functools.wraps(query)
    async def reaching(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await query(*args, **kwargs)
        except DATABASE_ERRORS as exc:
            raise DatabaseUnavailable(f"the job table is unreachable: {exc!r}") from exc

    return reaching


# A Core INSERT on the session's connection, parameters bound at execution: the ORM's
# unit of work (an object, its state, a flush) and even an ORM-enabled INSERT cost more
# than the rest of the submit, for a row nobody reads back in this request.
_INSERT_JOB = sa_insert(JOBS)


@_reaching
async def insert_job(*, session: AsyncSession, title: str) -> uuid.UUID:
    """Insert a pending job and send the INSERT, without committing; the job's id."""
    job_id, now = uuid.uuid4(), utcnow()
    row = {
        "id": job_id,
        "title": title,
        "state": JobState.PENDING.value,
        "progress": 0,
        "attempts": 0,
        "created_at": now,
        "enqueued_at": now,
    }
    connection = await session.connection()
    await connection.execute(_INSERT_JOB, row)
    return job_id


@_reaching
async def commit(*, session: AsyncSession) -> None:
    """Commit the session's transaction."""
    await session.commit()


@_reaching
async def get_job(*, session: AsyncSession, job_id: uuid.UUID) -> Job | None:
    """The job with this id, or None."""
    return await session.get(Job, job_id)


@_reaching
async def list_jobs(
    *, session: AsyncSession, status: JobState | None, limit: int, offset: int
) -> tuple[list[Job], int]:
    """A page of jobs (newest first) in ``status`` if given, and how many match in all."""
    query = select(Job)
    count = select(func.count()).select_from(Job)
    if status is not None:
        query = query.where(col(Job.state) == status.value)
        count = count.where(col(Job.state) == status.value)
    query = query.order_by(col(Job.created_at).desc(), col(Job.id).desc())
    jobs = (await session.exec(query.offset(offset).limit(limit))).all()
    total = (await session.exec(count)).one()
    return list(jobs), total


@_reaching
async def cancel_job(*, session: AsyncSession, job_id: uuid.UUID) -> Job | None:
    """Mark the job cancelled if it is pending or in progress, and commit; None otherwise.

    One conditional UPDATE: a worker finishing the job at the same moment either
    finds it cancelled or has already moved it on, never both.
    """
    statement = (
        update(Job)
        .where(
            col(Job.id) == job_id,
            col(Job.state).in_([JobState.PENDING.value, JobState.IN_PROGRESS.value]),
        )
        .values(state=JobState.CANCELLED.value, error=CANCEL_REASON, finished_at=utcnow())
        .returning(Job)
    )
    job = (await session.exec(statement)).scalar_one_or_none()
    await session.commit()
    return job


@_reaching
async def count_by_state(*, session: AsyncSession) -> dict[JobState, int]:
    """How many jobs are in each state (every state, zero included)."""
    rows = (await session.exec(select(Job.state, func.count()).group_by(Job.state))).all()
    counts = dict.fromkeys(JobState, 0)
    counts.update({JobState(state): int(number) for state, number in rows})
    return counts
