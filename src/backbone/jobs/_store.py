"""A job table's queries, for an API: async Core statements, keyword-only, scoped by owner.

Every read and write of a job takes ``owner``: the user the request acts for, or
:data:`ANY_OWNER` in a service without users. Another owner's job is simply not
found — the same answer as for an unknown id, so ids cannot be probed.

A database that cannot be reached (refused, timed out, connection lost) surfaces as
:class:`DatabaseUnavailable`, which an API answers with 503 and ``Retry-After``; any
other database error is a bug and stays what it is (a 500).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from enum import Enum
from typing import Any, Final, ParamSpec, TypeVar

from sqlalchemy import ColumnElement, Row, Table, func, insert, select, true, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backbone.jobs._errors import DatabaseUnavailable
from backbone.jobs._states import CANCELLABLE_STATES, JobState
from backbone.jobs._table import utcnow

__all__ = [
    "ANY_OWNER",
    "CANCEL_REASON",
    "DATABASE_ERRORS",
    "AnyOwner",
    "DatabaseUnavailable",
    "JobStore",
    "Owner",
]

P = ParamSpec("P")
T = TypeVar("T")

# asyncpg raises OSError (refused, unreachable, TimeoutError) as it is; SQLAlchemy
# wraps what the driver reports about a connection that broke.
DATABASE_ERRORS = (OSError, OperationalError, InterfaceError)
CANCEL_REASON = "Cancelled on request."


class AnyOwner(Enum):
    """The owner scope of a service without users: every job is everyone's."""

    ANY = "any"


ANY_OWNER: Final = AnyOwner.ANY
Owner = uuid.UUID | AnyOwner
"""Whose jobs a request may see: one user's, or (no users) any."""


def reaching(query: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """``query`` with an unreachable database reported as :class:`DatabaseUnavailable`."""

    @functools.wraps(query)
    async def reaching_database(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await query(*args, **kwargs)
        except DATABASE_ERRORS as exc:
            raise DatabaseUnavailable(f"the job table is unreachable: {exc!r}") from exc

    return reaching_database


class JobStore:
    """The queries of one job table (and, if the kind has steps, its step table)."""

    def __init__(self, table: Table, engine: AsyncEngine, *, steps: Table | None = None) -> None:
        self.table = table
        self.engine = engine
        self.steps_table = steps
        # Parameters bound at execution: one compiled statement for every submit.
        self._insert = insert(table)

    def _scope(self, owner: Owner) -> ColumnElement[bool]:
        if isinstance(owner, AnyOwner):
            return true()
        return self.table.c.owner_id == owner

    @reaching
    async def insert(
        self, conn: AsyncConnection, *, owner: uuid.UUID | None, **payload: Any
    ) -> uuid.UUID:
        """Insert a pending job in ``conn``'s transaction and send it, without committing."""
        job_id, now = uuid.uuid4(), utcnow()
        row = {
            "id": job_id,
            "owner_id": owner,
            "state": JobState.PENDING.value,
            "progress": 0,
            "attempts": 0,
            "created_at": now,
            "enqueued_at": now,
            **payload,
        }
        await conn.execute(self._insert, row)
        return job_id

    @reaching
    async def get(self, job_id: uuid.UUID, *, owner: Owner) -> Row[Any] | None:
        """The job with this id, if ``owner`` may see it."""
        query = select(self.table).where(self.table.c.id == job_id, self._scope(owner))
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).one_or_none()

    @reaching
    async def page(
        self, *, owner: Owner, state: JobState | None, limit: int, offset: int
    ) -> tuple[list[Row[Any]], int]:
        """A page of jobs (newest first) in ``state`` if given, and how many match in all."""
        table = self.table
        where = [self._scope(owner)]
        if state is not None:
            where.append(table.c.state == state.value)
        query = (
            select(table)
            .where(*where)
            .order_by(table.c.created_at.desc(), table.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        count = select(func.count()).select_from(table).where(*where)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            total = (await conn.execute(count)).scalar_one()
        return list(rows), int(total)

    @reaching
    async def cancel(self, job_id: uuid.UUID, *, owner: Owner) -> Row[Any] | None:
        """Mark the job cancelled if it may still be, and commit; None otherwise.

        One conditional UPDATE: a worker finishing the job at the same moment either
        finds it cancelled or has already moved it on, never both.
        """
        table = self.table
        statement = (
            update(table)
            .where(
                table.c.id == job_id,
                self._scope(owner),
                table.c.state.in_([state.value for state in CANCELLABLE_STATES]),
            )
            .values(state=JobState.CANCELLED.value, error=CANCEL_REASON, finished_at=utcnow())
            .returning(table)
        )
        async with self.engine.begin() as conn:
            cancelled: Row[Any] | None = (await conn.execute(statement)).one_or_none()
        return cancelled

    @reaching
    async def approve(self, conn: AsyncConnection, job_id: uuid.UUID, *, owner: Owner) -> bool:
        """Move a job awaiting approval back to pending, approved, in ``conn``'s transaction.

        Its attempts start again from zero: the run that acts is a new piece of work.
        """
        table = self.table
        now = utcnow()
        statement = (
            update(table)
            .where(
                table.c.id == job_id,
                self._scope(owner),
                table.c.state == JobState.AWAITING_APPROVAL.value,
            )
            .values(
                state=JobState.PENDING.value,
                approved_at=now,
                enqueued_at=now,
                attempts=0,
                progress=0,
            )
            .returning(table.c.id)
        )
        return (await conn.execute(statement)).first() is not None

    @reaching
    async def count_by_state(self, states: Iterable[JobState] = JobState) -> dict[JobState, int]:
        """How many jobs are in each of ``states`` (zeros included)."""
        counts = dict.fromkeys(states, 0)
        query = select(self.table.c.state, func.count()).group_by(self.table.c.state)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        for state, number in rows:
            if JobState(state) in counts:
                counts[JobState(state)] = int(number)
        return counts

    @reaching
    async def steps(
        self, job_id: uuid.UUID, *, owner: Owner, after: int = 0, limit: int = 100
    ) -> Sequence[Row[Any]] | None:
        """The job's steps after ``seq`` ``after``, in order; None if there is no such job."""
        if self.steps_table is None:
            raise TypeError("this job kind records no steps")
        steps, table = self.steps_table, self.table
        job = select(table.c.id).where(table.c.id == job_id, self._scope(owner))
        query = (
            select(steps)
            .where(steps.c.job_id == job_id, steps.c.seq > after)
            .order_by(steps.c.seq)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            if (await conn.execute(job)).first() is None:
                return None
            return (await conn.execute(query)).all()
