"""One delivery of a job, against its job table: synchronous, for the worker.

Celery delivers a job at least once, so :meth:`JobRunner.run` must be safe to run any
number of times, in any order, also while another delivery of the same job is running:

1. **claim**, in one statement: take a PostgreSQL advisory lock named after the job,
   held by this process's connection (a session lock) for the whole run; lock the row;
   count the attempt and mark the job in progress if it may run. Then, by what it found:
   the lock held by another delivery (``BUSY``: the caller retries later — by then the
   holder has finished, or its process has died, which frees the lock); no row (the API
   has not committed it yet: ``MISSING``); a final state (``FINAL``; a complete job whose
   artifacts are gone has them written again); a plan awaiting approval (``AWAITING``);
   attempts used up (the job fails);
2. **work**: the handler's :meth:`~JobHandler.run`, which records progress and steps as
   it goes and stops once the row is no longer in progress (cancelled), or fails the job
   on purpose with :class:`JobFailed` (its reason, and what it did as the result);
3. **complete**, in one statement after the handler has written the job's artifacts:
   mark the job complete with its result, if it is still in progress, and release the
   lock. A cancel that came first leaves the job cancelled and its artifacts removed; one
   that comes after finds the job complete. A plan to approve ends the same way, in
   ``awaiting-approval``.

A job that does no work is two statements, each its own transaction (the connection is
in autocommit): round trips are what a job costs under load. An exception or the soft
time limit marks the job failed with a one-line reason. Database errors are not job
failures: they propagate, and the task retries later.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import psycopg
from celery.exceptions import SoftTimeLimitExceeded
from psycopg.types.json import Jsonb
from sqlalchemy import Table

from backbone.jobs._database import Database, JobSql, is_database_error
from backbone.jobs._errors import JobCancelled, JobFailed
from backbone.jobs._handler import AwaitApproval, JobContext, JobHandler
from backbone.jobs._states import FINAL_STATES, JobState
from backbone.jobs._table import ERROR_LENGTH

__all__ = ["JobRunner", "Outcome", "is_database_error", "lock_key", "short_reason"]

logger = logging.getLogger(__name__)

_REASON_LIMIT = 200
Conn = psycopg.Connection[dict[str, Any]]


class Outcome(StrEnum):
    """What one delivery did."""

    COMPLETE = "complete"
    """Ran, wrote its artifacts, marked the job complete."""
    AWAITING = "awaiting-approval"
    """Made its plan (or found one) that waits for a person's approval."""
    FINAL = "final"
    """The job was already complete, failed or cancelled: nothing to do."""
    CANCELLED = "cancelled"
    """Cancelled while running: stopped without a result."""
    FAILED = "failed"
    """Raised, hit the soft time limit, or had used up its attempts."""
    BUSY = "busy"
    """Another delivery of the same job holds it: this one did nothing."""
    MISSING = "missing"
    """No committed row (yet): nothing was done."""


class _Run:
    """One delivery: its connection, job, and whether it holds the job's advisory lock."""

    def __init__(self, conn: Conn, job_id: uuid.UUID) -> None:
        self.conn = conn
        self.job_id = job_id
        self.key = lock_key(job_id)
        self.held = False

    @property
    def ids(self) -> dict[str, Any]:
        return {"id": self.job_id, "key": self.key}


class JobRunner:
    """Runs deliveries of one job kind's jobs (see the module docstring)."""

    def __init__(
        self,
        *,
        kind: str,
        table: Table,
        handler: JobHandler,
        max_attempts: int,
        steps: Table | None = None,
    ) -> None:
        self.kind = kind
        self.handler = handler
        self.max_attempts = max_attempts
        self.sql = JobSql(table.name, None if steps is None else steps.name)

    def run(self, database: Database, job_id: uuid.UUID) -> Outcome:
        """Run one delivery of job ``job_id``; blocking."""
        with database.using() as conn:
            run = _Run(conn, job_id)
            try:
                return self._run(run, database)
            finally:
                self._release(run, database)

    def _run(self, run: _Run, database: Database) -> Outcome:
        claimed = self._claim(run)
        if isinstance(claimed, Outcome):
            return claimed
        try:
            return self._execute(run, claimed)
        except JobCancelled:
            logger.info("job_cancelled_while_running kind=%s job_id=%s", self.kind, run.job_id)
            return Outcome.CANCELLED
        except JobFailed as failed:
            logger.warning(
                "job_stopped kind=%s job_id=%s reason=%s", self.kind, run.job_id, failed.reason
            )
            self._record_failure(run, database, failed.reason, failed.result)
            return Outcome.FAILED
        except SoftTimeLimitExceeded:
            reason = "soft time limit exceeded: the job was stopped"
            logger.warning(
                "job_time_limit kind=%s job_id=%s reason=%s", self.kind, run.job_id, reason
            )
        except Exception as exc:
            if is_database_error(exc):
                raise
            reason = short_reason(exc)
            logger.exception("job_error kind=%s job_id=%s reason=%s", self.kind, run.job_id, reason)
        self._record_failure(run, database, reason)
        return Outcome.FAILED

    def _record_failure(
        self, run: _Run, database: Database, reason: str, result: Mapping[str, Any] | None = None
    ) -> None:
        """Mark the job failed (with ``result``, if given); on a new connection if the job's
        own has broken meanwhile (its lock went with it)."""
        try:
            self._fail(run.conn, run.job_id, reason, result)
        except Exception as exc:
            if not is_database_error(exc):
                raise
            database.discard()
            run.conn, run.held = database.connection(), False
            self._fail(run.conn, run.job_id, reason, result)

    def _claim(self, run: _Run) -> dict[str, Any] | Outcome:
        """The claim statement (see the module docstring); the row to run, or an outcome."""
        values = {**run.ids, "max_attempts": self.max_attempts}
        found = run.conn.execute(self.sql.claim, values).fetchone()
        assert found is not None  # noqa: S101 - the statement always answers one row
        run.held = bool(found.pop("_held"))
        claimed_at = found.pop("_claimed_at")
        if not run.held:
            return Outcome.BUSY
        if found["id"] is None:
            return Outcome.MISSING
        if claimed_at is None:
            return self._settled(run, found)
        row = {**found, "state": JobState.IN_PROGRESS.value, "attempts": found["attempts"] + 1}
        row.update(progress=0, error=None, started_at=claimed_at)
        logger.info(
            "job_started kind=%s job_id=%s attempt=%d", self.kind, run.job_id, row["attempts"]
        )
        return row

    def _settled(self, run: _Run, row: Mapping[str, Any]) -> Outcome:
        """What a job that may not run now is: final, awaiting approval, or out of attempts."""
        state = row["state"]
        if state in FINAL_STATES:
            if state == JobState.COMPLETE:
                self.handler.ensure_artifacts(row)
            else:
                self.handler.discard(run.job_id)  # left by a run that was lost as it completed
            logger.info("job_final kind=%s job_id=%s state=%s", self.kind, run.job_id, state)
            return Outcome.FINAL
        if state == JobState.AWAITING_APPROVAL:
            return Outcome.AWAITING
        attempts = row["attempts"]
        reason = f"gave up after {attempts} attempts: each was lost (worker died or timed out)"
        self._fail(run.conn, run.job_id, reason)
        logger.warning("job_gave_up kind=%s job_id=%s attempts=%d", self.kind, run.job_id, attempts)
        return Outcome.FAILED

    def _execute(self, run: _Run, row: dict[str, Any]) -> Outcome:
        started = time.monotonic()
        context = JobContext(conn=run.conn, statements=self.sql, row=row)
        result = self.handler.run(context)
        if isinstance(result, AwaitApproval):
            return self._park(run, result)
        columns = dict(self.handler.complete(context))
        values = {**run.ids, "result": None if result is None else Jsonb(result)}
        values.update({f"_{name}": value for name, value in columns.items()})
        if run.conn.execute(self.sql.complete(columns), values).fetchone() is None:
            self.handler.discard(run.job_id)
            raise JobCancelled(f"job {run.job_id} was cancelled as it completed")
        run.held = False  # released by the statement that completed the job
        logger.info(
            "job_complete kind=%s job_id=%s seconds=%.3f",
            self.kind,
            run.job_id,
            time.monotonic() - started,
        )
        return Outcome.COMPLETE

    def _park(self, run: _Run, waiting: AwaitApproval) -> Outcome:
        values = {**run.ids, "result": Jsonb(waiting.plan)}
        if run.conn.execute(self.sql.park, values).fetchone() is None:
            raise JobCancelled(f"job {run.job_id} was cancelled as its plan was made")
        run.held = False
        logger.info("job_awaiting_approval kind=%s job_id=%s", self.kind, run.job_id)
        return Outcome.AWAITING

    def _fail(
        self,
        conn: Conn,
        job_id: uuid.UUID,
        reason: str,
        result: Mapping[str, Any] | None = None,
    ) -> bool:
        """Mark the job failed with ``reason`` (and ``result``, if given: otherwise the job
        keeps the one it had) unless it is final already.

        In a transaction of its own, committed by a second message: should the hard time
        limit kill this process while the statement waits for the row (held by someone),
        the orphaned statement never commits, and the job is delivered again instead of
        failed by a process that is gone.
        """
        values = {
            "id": job_id,
            "error": reason[:ERROR_LENGTH],
            "final": self.sql.final_states(),
            "result": None if result is None else Jsonb(dict(result)),
        }
        with conn.transaction():
            failed = conn.execute(self.sql.fail, values).fetchone() is not None
        if failed:
            logger.warning("job_failed kind=%s job_id=%s reason=%s", self.kind, job_id, reason)
        return failed

    def _release(self, run: _Run, database: Database) -> None:
        """The lock, if this run still holds it (it ended early); a connection that cannot
        release it is closed, which releases it."""
        if not run.held:
            return
        try:
            run.conn.execute(self.sql.unlock, {"key": run.key})
            run.held = False
        except Exception:
            logger.warning("job_unlock_failed kind=%s job_id=%s", self.kind, run.job_id)
            database.discard()


def short_reason(exc: BaseException) -> str:
    """A one-line reason for the job table: the exception's type and message, no traceback."""
    message = " ".join(str(exc).split())
    reason = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return reason if len(reason) <= _REASON_LIMIT else reason[: _REASON_LIMIT - 3] + "..."


def lock_key(job_id: uuid.UUID) -> int:
    """The job's advisory-lock key: both halves of the UUID folded into a signed bigint."""
    folded = int.from_bytes(job_id.bytes[:8], "big") ^ int.from_bytes(job_id.bytes[8:], "big")
    return folded - (1 << 64) if folded >= 1 << 63 else folded
