"""One delivery of a report job, against the job table: synchronous, for the worker.

Celery delivers a job at least once, so :func:`run_job` must be safe to run any number
of times, in any order, also while another delivery of the same job is running:

1. take a PostgreSQL advisory lock named after the job, held on this connection (a
   session lock, across transactions) for the whole run. If another delivery holds it
   (``BUSY``), this one does nothing and the caller retries it later: by then the
   holder has finished (the job is final) or its process has died, which closes its
   connection and so frees the lock;
2. in the same transaction, lock the row (``FOR UPDATE``): no row means the API has not
   committed it (yet) and the caller decides whether to retry (``MISSING``); a final
   state means there is nothing to do (``FINAL``; a complete job whose file is gone has
   it written again);
3. count the attempt: past ``max_attempts`` the job fails, otherwise it is in progress
   (``started_at`` kept from the first attempt) and committed;
4. work: the seed's ``time.sleep`` in steps of at most a second, writing ``progress``
   after each; a row no longer in progress (cancelled) stops the run without a report;
5. in one transaction, holding the row from its first statement: mark the job complete
   and fix ``report_time`` once (``COALESCE``: a rerun keeps the first one), write the
   report atomically, release the advisory lock, commit. A delivery that takes the lock
   in between waits for the row, then finds the job complete.

A zero-second job is two transactions (claim, finish). Round trips are what a job
costs under load, so the lock is taken and released inside them, never in
transactions of its own. An exception or the soft time limit marks the job failed
with a one-line reason. Database errors are not job failures: they propagate, and
the task retries later.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from datetime import datetime
from enum import StrEnum

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import Connection, Engine, Row, func, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from backbone.reports.config import ReportsSettings
from backbone.reports.files import report_path, report_text, write_atomic
from backbone.reports.models import FINAL_STATES, JOBS, JobState

__all__ = [
    "Outcome",
    "is_database_error",
    "lock_key",
    "mark_failed",
    "run_job",
    "short_reason",
]

logger = logging.getLogger(__name__)

_FINAL = sorted(str(state) for state in FINAL_STATES)
_REASON_LIMIT = 200


class Outcome(StrEnum):
    """What one delivery did."""

    COMPLETE = "complete"
    """Ran, wrote the report, marked the job complete."""
    FINAL = "final"
    """The job was already complete, failed or cancelled: nothing to do."""
    CANCELLED = "cancelled"
    """Cancelled while running: stopped without writing a report."""
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
            logger.warning("report_job_unlock_failed job_id=%s", self.job_id, exc_info=True)
            self.conn.invalidate()


def run_job(engine: Engine, settings: ReportsSettings, job_id: uuid.UUID) -> Outcome:
    """Run one delivery of job ``job_id`` (see the module docstring); blocking."""
    with engine.connect() as conn:
        lock = _JobLock(conn, job_id)
        try:
            return _run(engine, lock, settings, job_id)
        finally:
            lock.release_if_held()


def _run(engine: Engine, lock: _JobLock, settings: ReportsSettings, job_id: uuid.UUID) -> Outcome:
    claimed = _claim(lock, settings, job_id)
    if claimed is not None:
        return claimed
    try:
        return _execute(lock, settings, job_id)
    except SoftTimeLimitExceeded:
        reason = "soft time limit exceeded: the job was stopped"
        logger.warning("report_job_time_limit job_id=%s reason=%s", job_id, reason)
    except Exception as exc:
        if is_database_error(exc):
            raise
        reason = short_reason(exc)
        logger.exception("report_job_error job_id=%s reason=%s", job_id, reason)
    _rollback(lock.conn)
    mark_failed(engine, job_id, reason)
    return Outcome.FAILED


def _claim(lock: _JobLock, settings: ReportsSettings, job_id: uuid.UUID) -> Outcome | None:
    """Take the lock, lock the row, start this attempt (one transaction); else an outcome."""
    conn = lock.conn
    if not lock.take():
        conn.rollback()
        return Outcome.BUSY
    row = conn.execute(
        select(JOBS.c.state, JOBS.c.attempts).where(JOBS.c.id == job_id).with_for_update()
    ).one_or_none()
    if row is None:
        lock.release()
        conn.rollback()
        return Outcome.MISSING
    if row.state in FINAL_STATES:
        if row.state == JobState.COMPLETE:
            _ensure_report(conn, settings, job_id)
        lock.release()
        conn.commit()
        logger.info("report_job_final job_id=%s state=%s", job_id, row.state)
        return Outcome.FINAL
    if row.attempts >= settings.max_attempts:
        reason = f"gave up after {row.attempts} attempts: each was lost (worker died or timed out)"
        _set_failed(conn, job_id, reason)
        lock.release()
        conn.commit()
        logger.warning("report_job_gave_up job_id=%s attempts=%d", job_id, row.attempts)
        return Outcome.FAILED
    conn.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id)
        .values(
            state=JobState.IN_PROGRESS.value,
            attempts=JOBS.c.attempts + 1,
            progress=0,
            error=None,
            started_at=func.coalesce(JOBS.c.started_at, func.now()),
        )
    )
    conn.commit()
    logger.info("report_job_started job_id=%s attempt=%d", job_id, row.attempts + 1)
    return None


def _execute(lock: _JobLock, settings: ReportsSettings, job_id: uuid.UUID) -> Outcome:
    started = time.monotonic()
    if not (_work(lock.conn, job_id, settings.job_seconds) and _finish(lock, settings, job_id)):
        logger.info("report_job_cancelled job_id=%s", job_id)
        return Outcome.CANCELLED
    logger.info("report_job_complete job_id=%s seconds=%.3f", job_id, time.monotonic() - started)
    return Outcome.COMPLETE


def _work(conn: Connection, job_id: uuid.UUID, seconds: float) -> bool:
    """The seed's ``time.sleep``, in steps of at most 1 s with progress; False once cancelled."""
    steps = math.ceil(seconds)
    start = time.monotonic()
    for step in range(1, steps + 1):
        # Aim at fixed points in time, so database round trips do not stretch the job.
        time.sleep(max(0.0, start + seconds * step / steps - time.monotonic()))
        still_running = conn.execute(
            update(JOBS)
            .where(JOBS.c.id == job_id, JOBS.c.state == JobState.IN_PROGRESS.value)
            .values(progress=min(99, 100 * step // steps))
            .returning(JOBS.c.id)
        ).first()
        conn.commit()
        if still_running is None:
            return False
    return True


def _finish(lock: _JobLock, settings: ReportsSettings, job_id: uuid.UUID) -> bool:
    """Mark the job complete, fix the report time, write the report; False if cancelled.

    One transaction, holding the row from the first statement: a cancel either comes
    first (no file is written) or finds the job complete. Should the write fail, the
    transaction is rolled back and the job fails.
    """
    conn = lock.conn
    done = _fix_report_time(
        conn,
        job_id,
        only_in_progress=True,
        state=JobState.COMPLETE.value,
        progress=100,
        finished_at=func.now(),
        error=None,
    )
    if done is None:
        conn.rollback()
        return False
    _write_report(settings, job_id, done)
    lock.release()
    conn.commit()
    return True


def _fix_report_time(
    conn: Connection, job_id: uuid.UUID, *, only_in_progress: bool, **values: object
) -> Row[str, datetime] | None:
    """Set ``report_time`` unless already set (and ``values``); the row's (title, report_time)."""
    where = [JOBS.c.id == job_id]
    if only_in_progress:
        where.append(JOBS.c.state == JobState.IN_PROGRESS.value)
    return conn.execute(
        update(JOBS)
        .where(*where)
        .values(report_time=func.coalesce(JOBS.c.report_time, func.now()), **values)
        .returning(JOBS.c.title, JOBS.c.report_time)
    ).one_or_none()


def _write_report(settings: ReportsSettings, job_id: uuid.UUID, row: Row[str, datetime]) -> None:
    title, report_time = row
    text = report_text(job_id=job_id, title=title, report_time=report_time)
    write_atomic(report_path(settings.reports_dir, job_id), text.encode("utf-8"))


def _ensure_report(conn: Connection, settings: ReportsSettings, job_id: uuid.UUID) -> None:
    """A complete job's report exists: write it again (same bytes) if it was lost."""
    if report_path(settings.reports_dir, job_id).exists():
        return
    row = _fix_report_time(conn, job_id, only_in_progress=False)
    if row is not None:
        _write_report(settings, job_id, row)
        logger.warning("report_file_rewritten job_id=%s", job_id)


def _set_failed(conn: Connection, job_id: uuid.UUID, reason: str) -> bool:
    """Mark a job that is not final yet failed; False if it was final already."""
    done = conn.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.state.not_in(_FINAL))
        .values(state=JobState.FAILED.value, error=reason[:500], finished_at=func.now())
        .returning(JOBS.c.id)
    ).first()
    return done is not None


def mark_failed(engine: Engine, job_id: uuid.UUID, reason: str) -> bool:
    """Mark job ``job_id`` failed with ``reason`` in a transaction of its own (final jobs stay)."""
    with engine.begin() as conn:
        failed = _set_failed(conn, job_id, reason)
    if failed:
        logger.warning("report_job_failed job_id=%s reason=%s", job_id, reason)
    return failed


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
