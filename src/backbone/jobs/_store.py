"""A job table's queries, for an API: asyncpg, SQL written once per table, scoped by owner.

Every read and write of a job takes ``owner``: the user the request acts for, or
:data:`ANY_OWNER` in a service without users. Another owner's job is simply not
found — the same answer as for an unknown id, so ids cannot be probed.

The store keeps its own asyncpg pool (made on first use, so building an app connects to
nothing) and talks to PostgreSQL without an ORM in between: a submit is ``BEGIN``, one
prepared ``INSERT`` and ``COMMIT``, which is what it costs under load. Rows come back as
:class:`JobRow`, readable by key or attribute.

A database that cannot be reached (refused, timed out, connection lost, shutting down)
surfaces as :class:`DatabaseUnavailable`, which an API answers with 503 and
``Retry-After``; any other database error is a bug and stays what it is (a 500).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, Final, ParamSpec, TypeVar

import asyncpg
from asyncpg import exceptions as pg
from sqlalchemy import Table

from backbone.core.db import libpq_url
from backbone.jobs._errors import DatabaseUnavailable
from backbone.jobs._idempotency import IdempotencyKey
from backbone.jobs._states import CANCELLABLE_STATES, JobState
from backbone.jobs._table import utcnow

__all__ = [
    "ANY_OWNER",
    "CANCEL_REASON",
    "AnyOwner",
    "DatabaseUnavailable",
    "JobRow",
    "JobStore",
    "Owner",
    "is_unreachable",
]

P = ParamSpec("P")
T = TypeVar("T")

CANCEL_REASON = "Cancelled on request."
_CANCELLABLE = sorted(state.value for state in CANCELLABLE_STATES)


class AnyOwner(Enum):
    """The owner scope of a service without users: every job is everyone's."""

    ANY = "any"


ANY_OWNER: Final = AnyOwner.ANY
Owner = uuid.UUID | AnyOwner
"""Whose jobs a request may see: one user's, or (no users) any."""


class JobRow(asyncpg.Record):  # type: ignore[misc]  # asyncpg has no type information
    """A row of a job table: ``row["state"]`` or ``row.state``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def is_unreachable(exc: BaseException) -> bool:
    """True for errors of reaching PostgreSQL, as asyncpg reports them."""
    if isinstance(exc, pg.DataError | pg.ClientConfigurationError):
        return False  # a bug in what was sent, not the database going away
    return isinstance(
        exc,
        OSError  # refused, unreachable, and (TimeoutError) timed out
        | pg.PostgresConnectionError
        | pg.OperatorInterventionError  # shutting down, starting up, cancelled
        | pg.TooManyConnectionsError
        | pg.InterfaceError,  # the connection or the pool closed under us
    )


def reaching(query: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """``query`` with an unreachable database reported as :class:`DatabaseUnavailable`."""

    @functools.wraps(query)
    async def reaching_database(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await query(*args, **kwargs)
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            raise DatabaseUnavailable(f"the job table is unreachable: {exc!r}") from exc

    return reaching_database


class JobStore:
    """The queries of one job table (and, if the kind has steps, its step table)."""

    def __init__(
        self,
        table: Table,
        url: str,
        *,
        steps: Table | None = None,
        pool_size: int = 20,
        timeout: float = 5.0,
    ) -> None:
        self.table = table.name
        self.steps_table = None if steps is None else steps.name
        self._dsn = libpq_url(url)
        self._pool_size = pool_size
        self._timeout = timeout
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._sql = _Statements(self.table, self.steps_table)

    # ------------------------------------------------------------------ connections

    async def _connections(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=0,
                        max_size=self._pool_size,
                        timeout=self._timeout,
                        command_timeout=self._timeout,
                        record_class=JobRow,
                        init=_json_codecs,
                        reset=_no_session_state,
                    )
        return self._pool

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection of the pool, for a transaction the caller manages."""
        pool = await self._connections()
        async with pool.acquire(timeout=self._timeout) as conn:
            yield conn

    @reaching
    async def ping(self) -> None:
        """Readiness: raise unless ``SELECT 1`` succeeds."""
        pool = await self._connections()
        await pool.fetchval("SELECT 1", timeout=self._timeout)

    async def aclose(self) -> None:
        """Close the pool's connections."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    # ------------------------------------------------------------------ writes

    async def insert(
        self, conn: asyncpg.Connection, *, owner: uuid.UUID | None, **payload: Any
    ) -> uuid.UUID:
        """Insert a pending job in ``conn``'s transaction and send it, without committing."""
        job_id, now = uuid.uuid4(), utcnow()
        names = tuple(sorted(payload))
        values = [job_id, owner, now, *(payload[name] for name in names)]
        await conn.execute(self._sql.insert(names), *values)
        return job_id

    async def insert_keyed(
        self,
        conn: asyncpg.Connection,
        *,
        owner: uuid.UUID | None,
        key: IdempotencyKey,
        **payload: Any,
    ) -> uuid.UUID | None:
        """As :meth:`insert`, with the key and its fingerprint; None if the owner's key is
        taken. A row with the key that is not committed yet makes this wait for its
        transaction (the unique index): the key is then taken, or free again."""
        job_id, now = uuid.uuid4(), utcnow()
        names = tuple(sorted(payload))
        values = [job_id, owner, now, key.key, key.fingerprint, *(payload[n] for n in names)]
        inserted: uuid.UUID | None = await conn.fetchval(self._sql.insert_keyed(names), *values)
        return inserted

    async def find_key(
        self, conn: asyncpg.Connection, *, owner: uuid.UUID | None, key: str
    ) -> JobRow | None:
        """The id and request fingerprint of the owner's job with this key, if any."""
        row: JobRow | None = await conn.fetchrow(self._sql.find_key, key, owner)
        return row

    @reaching
    async def cancel(
        self, job_id: uuid.UUID, *, owner: Owner, reason: str = CANCEL_REASON
    ) -> JobRow | None:
        """Mark the job cancelled (``reason`` as its error) if it may still be, and commit;
        None otherwise.

        One conditional UPDATE: a worker finishing the job at the same moment either
        finds it cancelled or has already moved it on, never both.
        """
        pool = await self._connections()
        row: JobRow | None = await pool.fetchrow(
            self._sql.cancel, job_id, *_scope(owner), reason, _CANCELLABLE, utcnow()
        )
        return row

    async def approve(
        self, conn: asyncpg.Connection, job_id: uuid.UUID, *, owner: Owner, **columns: Any
    ) -> bool:
        """Move a job awaiting approval back to pending, approved, in ``conn``'s transaction,
        and set ``columns`` of the kind's own (what was approved) in the same statement.

        Its attempts start again from zero: the run that acts is a new piece of work.
        """
        names = tuple(sorted(columns))
        values = [columns[name] for name in names]
        statement = self._sql.approving(names)
        approved = await conn.fetchval(statement, job_id, *_scope(owner), utcnow(), *values)
        return approved is not None

    @reaching
    async def reject(self, job_id: uuid.UUID, *, owner: Owner, reason: str) -> JobRow | None:
        """Cancel a job awaiting approval with ``reason`` as its error, and commit; None if
        there is no such job of ``owner``'s awaiting approval."""
        pool = await self._connections()
        row: JobRow | None = await pool.fetchrow(
            self._sql.reject, job_id, *_scope(owner), reason, utcnow()
        )
        return row

    # ------------------------------------------------------------------ reads

    @reaching
    async def get(self, job_id: uuid.UUID, *, owner: Owner) -> JobRow | None:
        """The job with this id, if ``owner`` may see it."""
        pool = await self._connections()
        row: JobRow | None = await pool.fetchrow(self._sql.get, job_id, *_scope(owner))
        return row

    @reaching
    async def page(
        self,
        *,
        owner: Owner,
        state: JobState | None,
        limit: int,
        offset: int,
        where: Mapping[str, Any] | None = None,
    ) -> tuple[list[JobRow], int]:
        """A page of jobs (newest first) in ``state`` if given, whose columns of the kind's
        own equal ``where``'s values, and how many match in all."""
        columns = tuple(sorted(where or {}))
        values = [(where or {})[name] for name in columns]
        select, count = _filtered(self._sql.page, self._sql.count, columns)
        pool = await self._connections()
        filters = (*_scope(owner), None if state is None else state.value)
        async with pool.acquire(timeout=self._timeout) as conn:
            rows = await conn.fetch(select, *filters, limit, offset, *values)
            total = await conn.fetchval(count, *filters, *values)
        return list(rows), int(total)

    @reaching
    async def count_by_state(self, states: Iterable[JobState] = JobState) -> dict[JobState, int]:
        """How many jobs are in each of ``states`` (zeros included)."""
        counts = dict.fromkeys(states, 0)
        pool = await self._connections()
        for state, number in await pool.fetch(self._sql.by_state):
            if JobState(state) in counts:
                counts[JobState(state)] = int(number)
        return counts

    @reaching
    async def steps(
        self, job_id: uuid.UUID, *, owner: Owner, after: int = 0, limit: int = 100
    ) -> Sequence[JobRow] | None:
        """The job's steps after ``seq`` ``after``, in order; None if there is no such job."""
        if self._sql.steps is None:
            raise TypeError("this job kind records no steps")
        pool = await self._connections()
        async with pool.acquire(timeout=self._timeout) as conn:
            if await conn.fetchval(self._sql.exists, job_id, *_scope(owner)) is None:
                return None
            rows: list[JobRow] = await conn.fetch(self._sql.steps, job_id, after, limit)
        return rows


async def _json_codecs(conn: asyncpg.Connection) -> None:
    """JSON columns (a job's result, a step's input and output) read as Python values."""
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _no_session_state(conn: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to the pool, so no reset query (a round
    trip per request): the store sets no session state (no SET, LISTEN or advisory lock),
    and asyncpg itself still rolls back a transaction left open."""


def _scope(owner: Owner) -> tuple[bool, uuid.UUID | None]:
    """The two parameters of an owner filter: whether anyone goes, and whom."""
    if isinstance(owner, AnyOwner):
        return True, None
    return False, owner


class _Statements:
    """The store's SQL for one table: written once, prepared by asyncpg per connection.

    Owner filters are ``($n OR owner_id = $m)``: one statement serves services with and
    without users. Identifiers are quoted; every value is a parameter.
    """

    _MINE = "($2 OR owner_id = $3)"

    def __init__(self, table: str, steps: str | None) -> None:
        t = _quote(table)
        self._table = t
        mine = self._MINE
        self.get = f"SELECT * FROM {t} WHERE id = $1 AND {mine}"  # noqa: S608 - quoted name
        self.exists = f"SELECT 1 FROM {t} WHERE id = $1 AND {mine}"  # noqa: S608
        where = "($1 OR owner_id = $2) AND ($3::text IS NULL OR state = $3)"
        self.page = (
            f"SELECT * FROM {t} WHERE {where}"  # noqa: S608
            " ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
        )
        self.count = f"SELECT count(*) FROM {t} WHERE {where}"  # noqa: S608
        self.by_state = f"SELECT state, count(*) FROM {t} GROUP BY state"  # noqa: S608
        self.find_key = (
            f"SELECT id, idempotency_hash FROM {t} WHERE idempotency_key = $1"  # noqa: S608
            " AND owner_id IS NOT DISTINCT FROM $2"
        )
        self.cancel = (
            f"UPDATE {t} SET state = '{JobState.CANCELLED.value}', error = $4,"  # noqa: S608
            f" finished_at = $6 WHERE id = $1 AND {mine} AND state = ANY($5::text[])"
            " RETURNING *"
        )
        self.approve = (
            f"UPDATE {t} SET state = '{JobState.PENDING.value}', approved_at = $4,"  # noqa: S608
            f" enqueued_at = $4, attempts = 0, progress = 0 WHERE id = $1 AND {mine}"
            f" AND state = '{JobState.AWAITING_APPROVAL.value}' RETURNING id"
        )
        self.reject = (
            f"UPDATE {t} SET state = '{JobState.CANCELLED.value}', error = $4,"  # noqa: S608
            f" finished_at = $5 WHERE id = $1 AND {mine}"
            f" AND state = '{JobState.AWAITING_APPROVAL.value}' RETURNING *"
        )
        self.steps = None
        if steps is not None:
            self.steps = (
                f"SELECT * FROM {_quote(steps)} WHERE job_id = $1 AND seq > $2"  # noqa: S608
                " ORDER BY seq LIMIT $3"
            )

    def insert(self, payload: tuple[str, ...]) -> str:
        """The INSERT of a pending job with these payload columns (after id, owner, now)."""
        return _insert(self._table, payload)

    def insert_keyed(self, payload: tuple[str, ...]) -> str:
        """The INSERT of a pending job with an idempotency key and fingerprint (after id,
        owner, now), which inserts nothing, and returns no id, if the key is taken."""
        return _insert(self._table, payload, keyed=True)

    def approving(self, columns: tuple[str, ...]) -> str:
        """The approve statement, also setting ``columns`` (parameters after the first four)."""
        return _approving(self.approve, columns)


@functools.cache
def _insert(table: str, payload: tuple[str, ...], *, keyed: bool = False) -> str:
    own = ["idempotency_key", "idempotency_hash"] if keyed else []
    columns = ["id", "owner_id", "created_at", "enqueued_at", *own, *map(_quote, payload)]
    values = ["$1", "$2", "$3", "$3", *(f"${n}" for n in range(4, len(columns)))]
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}, state, progress, attempts)"  # noqa: S608
        f" VALUES ({', '.join(values)}, '{JobState.PENDING.value}', 0, 0)"
    )
    if keyed:
        # The conflict target names the partial unique index of job_indexes().
        statement += (
            " ON CONFLICT (idempotency_key, owner_id) WHERE idempotency_key IS NOT NULL"
            " DO NOTHING RETURNING id"
        )
    return statement


@functools.cache
def _approving(approve: str, columns: tuple[str, ...]) -> str:
    if not columns:
        return approve
    assignments = "".join(f", {_quote(name)} = ${number}" for number, name in enumerate(columns, 5))
    head, where = approve.split(" WHERE id = $1", 1)
    return f"{head}{assignments} WHERE id = $1{where}"


@functools.cache
def _filtered(select: str, count: str, columns: tuple[str, ...]) -> tuple[str, str]:
    """The page and count statements with ``AND column = $n`` for each of ``columns``
    (after the page's five parameters and the count's three)."""
    if not columns:
        return select, count

    def conditions(first: int) -> str:
        return "".join(
            f" AND {_quote(name)} = ${number}" for number, name in enumerate(columns, first)
        )

    head, order = select.split(" ORDER BY ", 1)
    return f"{head}{conditions(6)} ORDER BY {order}", f"{count}{conditions(4)}"


def _quote(name: str) -> str:
    """A SQL identifier, double-quoted (names come from code, never from requests)."""
    return '"' + name.replace('"', '""') + '"'
