"""One delivery of a job, against its job table: synchronous, for the worker.

Celery delivers a job at least once, so :meth:`JobRunner.run` must be safe to run any
number of times, in any order, also while another delivery of the same job is running:

1. take a PostgreSQL advisory lock named after the job, held on this connection (a
   session lock, across transactions) for the whole run. If another delivery holds it
   (``BUSY``), this one does nothing and the caller retries it later: by then the
   holder has finished (the job is final) or its process has died, which closes its
   connection and so frees the lock;
2. in the same transaction, lock the row (``FOR UPDATE``): no row means the API has not
   committed it (yet) and the caller decides whether to retry (``MISSING``); a final
   state means there is nothing to do (``FINAL``; a complete job whose artifacts are
   gone has them written again); a job awaiting approval waits (``AWAITING``);
3. count the attempt: past ``max_attempts`` the job fails, otherwise it is in progress
   (``started_at`` kept from the first attempt) and committed;
4. work: the handler's :meth:`~JobHandler.run`, which records progress and steps as it
   goes and stops once the row is no longer in progress (cancelled);
5. in one transaction, holding the row from its first statement: mark the job complete
   with its result (and the handler's own completion values), write its artifacts,
   release the advisory lock, commit. A delivery that takes the lock in between waits
   for the row, then finds the job complete. A plan to approve ends the same way, in
   ``awaiting-approval``.

A job that does no work is two transactions (claim, finish): round trips are what a job
costs under load, so the lock is taken and released inside them, never in transactions
of its own. An exception or the soft time limit marks the job failed with a one-line
reason. Database errors are not job failures: they propagate, and the task retries.
"""

from __future__ import annotations

import logging
import time
import uuid
from enum import StrEnum
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import Connection, Engine, RowMapping, Table, func, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from backbone.jobs._errors import JobCancelled
from backbone.jobs._handler import AwaitApproval, JobContext, JobHandler
from backbone.jobs._states import FINAL_STATES, JobState
from backbone.jobs._table import ERROR_LENGTH

__all__ = ["JobRunner", "Outcome", "is_database_error", "lock_key", "short_reason"]

logger = logging.getLogger(__name__)

_FINAL = sorted(str(state) for state in FINAL_STATES)
_REASON_LIMIT = 200


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


class _JobLock:
    """The job's advisory lock on one connection: taken and released inside transactions."""

    def __init__(self, conn: Connection, job_id: uuid.UUID) -> None:
        self.conn = conn
        self.job_id = job_id
        self.key = lock_key(job_id)
        self.held = False

    def take(self) -> bool:
        """Try to take the lock (in the connection's current transaction)."""
        self.held = bool(
            self.conn.execute(select(func.pg_try_advisory_lock(self.key))).scalar_one()
        )
        return self.held

    def release(self) -> None:
        """Release it now; a session lock, so a rollback after this does not take it back."""
        if self.held:
            self.conn.execute(select(func.pg_advisory_unlock(self.key)))
            self.held = False

    def release_if_held(self) -> None:
        """After a run that ended early: release it in a transaction of its own.

        A connection that cannot is discarded, never pooled with the lock still held.
        """
        if not self.held or self.conn.invalidated:
            return  # an invalidated connection is closed: the server dropped the lock
        try:
            self.conn.rollback()
            self.release()
            self.conn.commit()
        except Exception:
            logger.warning("job_unlock_failed job_id=%s", self.job_id, exc_info=True)
            self.conn.invalidate()


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
        self.table = table
        self.handler = handler
        self.max_attempts = max_attempts
        self.steps = steps

    def run(self, engine: Engine, job_id: uuid.UUID) -> Outcome:
        """Run one delivery of job ``job_id``; blocking."""
        with engine.connect() as conn:
            lock = _JobLock(conn, job_id)
            try:
                return self._run(engine, lock)
            finally:
                lock.release_if_held()

    def _run(self, engine: Engine, lock: _JobLock) -> Outcome:
        claimed = self._claim(lock)
        if isinstance(claimed, Outcome):
            return claimed
        job_id = lock.job_id
        try:
            return self._execute(lock, claimed)
        except JobCancelled:
            _rollback(lock.conn)
            logger.info("job_cancelled_while_running kind=%s job_id=%s", self.kind, job_id)
            return Outcome.CANCELLED
        except SoftTimeLimitExceeded:
            reason = "soft time limit exceeded: the job was stopped"
            logger.warning("job_time_limit kind=%s job_id=%s reason=%s", self.kind, job_id, reason)
        except Exception as exc:
            if is_database_error(exc):
                raise
            reason = short_reason(exc)
            logger.exception("job_error kind=%s job_id=%s reason=%s", self.kind, job_id, reason)
        _rollback(lock.conn)
        self.mark_failed(engine, job_id, reason)
        return Outcome.FAILED

    def _claim(self, lock: _JobLock) -> RowMapping | Outcome:
        """Take the lock, lock the row, start this attempt (one transaction); else an outcome."""
        conn, table, job_id = lock.conn, self.table, lock.job_id
        if not lock.take():
            conn.rollback()
            return Outcome.BUSY
        row = conn.execute(
            select(table).where(table.c.id == job_id).with_for_update()
        ).one_or_none()
        if row is None:
            lock.release()
            conn.rollback()
            return Outcome.MISSING
        outcome = self._settled(conn, row._mapping)
        if outcome is not None:
            lock.release()
            conn.commit()
            return outcome
        claimed = conn.execute(
            update(table)
            .where(table.c.id == job_id)
            .values(
                state=JobState.IN_PROGRESS.value,
                attempts=table.c.attempts + 1,
                progress=0,
                error=None,
                started_at=func.coalesce(table.c.started_at, func.now()),
            )
            .returning(table)
        ).one()
        conn.commit()
        attempt = claimed.attempts
        logger.info("job_started kind=%s job_id=%s attempt=%d", self.kind, job_id, attempt)
        return claimed._mapping

    def _settled(self, conn: Connection, row: RowMapping) -> Outcome | None:
        """What a locked row says before any work: an outcome, or None to go ahead."""
        job_id, state = row["id"], row["state"]
        if state in FINAL_STATES:
            if state == JobState.COMPLETE:
                self.handler.ensure_artifacts(row)
            logger.info("job_final kind=%s job_id=%s state=%s", self.kind, job_id, state)
            return Outcome.FINAL
        if state == JobState.AWAITING_APPROVAL:
            return Outcome.AWAITING
        if row["attempts"] >= self.max_attempts:
            reason = (
                f"gave up after {row['attempts']} attempts: each was lost"
                " (worker died or timed out)"
            )
            _set_failed(conn, self.table, job_id, reason)
            logger.warning(
                "job_gave_up kind=%s job_id=%s attempts=%d", self.kind, job_id, row["attempts"]
            )
            return Outcome.FAILED
        return None

    def _execute(self, lock: _JobLock, row: RowMapping) -> Outcome:
        started = time.monotonic()
        context = JobContext(conn=lock.conn, table=self.table, steps=self.steps, row=row)
        result = self.handler.run(context)
        if isinstance(result, AwaitApproval):
            return self._await_approval(lock, result)
        if not self._finish(lock, result):
            raise JobCancelled(f"job {lock.job_id} was cancelled as it finished")
        logger.info(
            "job_complete kind=%s job_id=%s seconds=%.3f",
            self.kind,
            lock.job_id,
            time.monotonic() - started,
        )
        return Outcome.COMPLETE

    def _finish(self, lock: _JobLock, result: dict[str, Any] | None) -> bool:
        """Mark the job complete and write its artifacts in one transaction; False if cancelled.

        Holding the row from the first statement: a cancel either comes first (no
        artifact is written) or finds the job complete. Should a write fail, the
        transaction is rolled back and the job fails.
        """
        conn, table = lock.conn, self.table
        done = conn.execute(
            update(table)
            .where(table.c.id == lock.job_id, table.c.state == JobState.IN_PROGRESS.value)
            .values(
                state=JobState.COMPLETE.value,
                progress=100,
                finished_at=func.now(),
                error=None,
                result=result,
                **self.handler.completion_values(table),
            )
            .returning(table)
        ).one_or_none()
        if done is None:
            conn.rollback()
            return False
        self.handler.write_artifacts(done._mapping)
        lock.release()
        conn.commit()
        return True

    def _await_approval(self, lock: _JobLock, waiting: AwaitApproval) -> Outcome:
        conn, table = lock.conn, self.table
        parked = conn.execute(
            update(table)
            .where(table.c.id == lock.job_id, table.c.state == JobState.IN_PROGRESS.value)
            .values(state=JobState.AWAITING_APPROVAL.value, result=waiting.plan)
            .returning(table.c.id)
        ).first()
        if parked is None:
            conn.rollback()
            raise JobCancelled(f"job {lock.job_id} was cancelled as its plan was made")
        lock.release()
        conn.commit()
        logger.info("job_awaiting_approval kind=%s job_id=%s", self.kind, lock.job_id)
        return Outcome.AWAITING

    def mark_failed(self, engine: Engine, job_id: uuid.UUID, reason: str) -> bool:
        """Mark job ``job_id`` failed with ``reason`` in a transaction of its own (final stays)."""
        with engine.begin() as conn:
            failed = _set_failed(conn, self.table, job_id, reason)
        if failed:
            logger.warning("job_failed kind=%s job_id=%s reason=%s", self.kind, job_id, reason)
        return failed


def _set_failed(conn: Connection, table: Table, job_id: uuid.UUID, reason: str) -> bool:
    """Mark a job that is not final yet failed; False if it was final already."""
    done = conn.execute(
        update(table)
        .where(table.c.id == job_id, table.c.state.not_in(_FINAL))
        .values(state=JobState.FAILED.value, error=reason[:ERROR_LENGTH], finished_at=func.now())
        .returning(table.c.id)
    ).first()
    return done is not None


def short_reason(exc: BaseException) -> str:
    """A one-line reason for the job table: the exception's type and message, no traceback."""
    message = " ".join(str(exc).split())
    reason = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return reason if len(reason) <= _REASON_LIMIT else reason[: _REASON_LIMIT - 3] + "..."


def is_database_error(exc: BaseException) -> bool:
    """True for errors of reaching the database (retry later), not of the job itself."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def lock_key(job_id: uuid.UUID) -> int:
    """The job's advisory-lock key: both halves of the UUID folded into a signed bigint."""
    folded = int.from_bytes(job_id.bytes[:8], "big") ^ int.from_bytes(job_id.bytes[8:], "big")
    return folded - (1 << 64) if folded >= 1 << 63 else folded


def _rollback(conn: Connection) -> None:
    """End whatever the failed run left open (a broken connection is discarded)."""
    try:
        conn.rollback()
    except Exception:
        conn.invalidate()
