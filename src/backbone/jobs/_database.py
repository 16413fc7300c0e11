"""The worker's side of the job table: one psycopg connection per process, and the SQL.

A worker process runs one job at a time, so it holds one connection, in autocommit:
each statement of the runner is its own transaction, and the hot path of a job is two
statements, each one round trip (see :mod:`backbone.jobs._runner`). The statements are
written once per job table as SQL text and prepared by psycopg on the connection: a
job costs the database two executions of prepared statements, and this process no SQL
compilation at all.

A connection that fails is closed and forgotten; the next delivery opens a new one
(its advisory locks went with the old one: the server drops them on disconnect).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from backbone.core.db import libpq_url
from backbone.jobs._states import FINAL_STATES

__all__ = ["Database", "JobSql", "is_database_error"]

CONNECT_TIMEOUT = 5
_FINAL = tuple(sorted(state.value for state in FINAL_STATES))


def is_database_error(exc: BaseException) -> bool:
    """True for errors of reaching the database (retry later), not of the job itself."""
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class Database:
    """This process's connection to the job table's database (opened on first use)."""

    def __init__(self, url: str) -> None:
        self.conninfo = libpq_url(url)
        self._conn: psycopg.Connection[dict[str, Any]] | None = None

    def connection(self) -> psycopg.Connection[dict[str, Any]]:
        """The open connection (autocommit, rows as dicts), made if there is none."""
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.conninfo,
                autocommit=True,
                row_factory=dict_row,
                connect_timeout=CONNECT_TIMEOUT,
                prepare_threshold=0,
            )
        return self._conn

    @contextlib.contextmanager
    def using(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """The connection, discarded if a database error leaves the block."""
        try:
            yield self.connection()
        except BaseException as exc:
            if is_database_error(exc):
                self.discard()
            raise

    def discard(self) -> None:
        """Close the connection (if any) and forget it."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        """Close the connection at the end of the process."""
        self.discard()


class JobSql:
    """The runner's statements for one job table (and its step table, if any), rendered to
    bytes once: psycopg would otherwise compose them again at every execution."""

    def __init__(self, table: str, steps: str | None = None) -> None:
        t = sql.Identifier(table)
        self.table = table
        self.claim = _render(sql.SQL(_CLAIM).format(table=t))
        self.progress = _render(sql.SQL(_PROGRESS).format(table=t))
        self.park = _render(sql.SQL(_PARK).format(table=t))
        self.fail = _render(sql.SQL(_FAIL).format(table=t))
        self.unlock = b"SELECT pg_advisory_unlock(%(key)s)"
        self.add_step: bytes | None = None
        self.recorded_steps: bytes | None = None
        if steps is not None:
            self.add_step = _render(sql.SQL(_STEP).format(table=t, steps=sql.Identifier(steps)))
            self.recorded_steps = _render(sql.SQL(_STEPS).format(steps=sql.Identifier(steps)))

    def note(self, columns: Iterable[str]) -> bytes:
        """Set ``columns`` of the kind's own on a job, if it is still running."""
        return _note(self.table, tuple(sorted(columns)))

    def complete(self, columns: Iterable[str]) -> bytes:
        """Mark the job complete (and set ``columns``), releasing its lock, if still running."""
        return _complete(self.table, tuple(sorted(columns)))

    @staticmethod
    def final_states() -> list[str]:
        """The final states, as the ``fail`` statement takes them."""
        return list(_FINAL)


def _render(statement: sql.Composable) -> bytes:
    return statement.as_bytes(None)


def _assignments(columns: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(
        sql.SQL("{} = %({})s").format(sql.Identifier(name), sql.SQL(f"_{name}")) for name in columns
    )


@cache
def _note(table: str, columns: tuple[str, ...]) -> bytes:
    if not columns:
        raise ValueError("name at least one column to set")
    return _render(
        sql.SQL(
            "UPDATE {table} SET {assignments} WHERE id = %(id)s AND state = 'in-progress'"
            " RETURNING id"
        ).format(table=sql.Identifier(table), assignments=_assignments(columns))
    )


@cache
def _complete(table: str, columns: tuple[str, ...]) -> bytes:
    extra = sql.SQL("").join(
        sql.SQL(", {} = %({})s").format(sql.Identifier(name), sql.SQL(f"_{name}"))
        for name in columns
    )
    return _render(
        sql.SQL(
            "UPDATE {table} SET state = 'complete', progress = 100, finished_at = now(),"
            " error = NULL, result = %(result)s{extra}"
            " WHERE id = %(id)s AND state = 'in-progress'"
            " RETURNING pg_advisory_unlock(%(key)s)"
        ).format(table=sql.Identifier(table), extra=extra)
    )


# One round trip claims a job: take its advisory lock, lock its row, and start the attempt
# if it may start; it answers whether the lock was taken, whether the attempt started
# (when), and the row as it was. A volatile function keeps each CTE evaluated once.
# (The states are JobState's values, written out: a test checks them against the enum.)
_CLAIM = """
WITH lock AS MATERIALIZED (SELECT pg_try_advisory_lock(%(key)s) AS held),
found AS MATERIALIZED (
    SELECT t.* FROM {table} AS t
    WHERE t.id = %(id)s AND (SELECT held FROM lock)
    FOR UPDATE OF t
),
claimed AS (
    UPDATE {table} AS t
    SET state = 'in-progress', attempts = t.attempts + 1, progress = 0,
        error = NULL, started_at = coalesce(t.started_at, now())
    FROM found
    WHERE t.id = found.id
      AND found.state IN ('pending', 'in-progress')
      AND found.attempts < %(max_attempts)s
    RETURNING t.started_at
)
SELECT lock.held AS _held, claimed.started_at AS _claimed_at, found.*
FROM lock LEFT JOIN found ON true LEFT JOIN claimed ON true
"""

_PROGRESS = (
    "UPDATE {table} SET progress = %(progress)s"
    " WHERE id = %(id)s AND state = 'in-progress' RETURNING id"
)
_PARK = (
    "UPDATE {table} SET state = 'awaiting-approval', result = %(result)s"
    " WHERE id = %(id)s AND state = 'in-progress' RETURNING pg_advisory_unlock(%(key)s)"
)
# A handler's JobFailed gives the result to keep (what it did); any other failure keeps
# the result the job had.
_FAIL = (
    "UPDATE {table} SET state = 'failed', error = %(error)s, finished_at = now(),"
    " result = coalesce(%(result)s::jsonb, result)"
    " WHERE id = %(id)s AND NOT (state = ANY(%(final)s)) RETURNING id"
)
# A step is appended only while its job is in progress: a cancelled job gets none.
_STEP = """
INSERT INTO {steps} (job_id, seq, attempt, agent, tool, input, output, started_at, finished_at)
SELECT
    %(id)s,
    (SELECT coalesce(max(seq), 0) + 1 FROM {steps} WHERE job_id = %(id)s),
    %(attempt)s, %(agent)s, %(tool)s, %(input)s, %(output)s,
    coalesce(%(started_at)s::timestamptz, now()), now()
WHERE EXISTS (SELECT 1 FROM {table} WHERE id = %(id)s AND state = 'in-progress')
RETURNING seq
"""
_STEPS = (
    "SELECT seq, attempt, agent, tool, input, output FROM {steps} WHERE job_id = %(id)s"
    " ORDER BY seq"
)
