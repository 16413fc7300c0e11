"""Publishing again the jobs whose message is gone: the job table is the record, not the queue.

A row can outlive its message: Redis restarted without persistence, PostgreSQL was
down for longer than the task's retries, or a delivery gave up on a job that a stuck
session held. Nothing would ever run such a job. :func:`reconcile` finds them and
publishes them again. Deliveries are idempotent (see :mod:`backbone.jobs._runner`), so
a message that was not lost after all costs one no-op run, never a second result.

A job is taken up when its last publish (``enqueued_at``) is older than
``reconcile_after`` and

- it is **in progress** but no session holds its advisory lock: nobody runs it (a
  running delivery holds the lock for its whole run);
- it is **pending** and the queue is empty: its message is then either reserved by a
  worker about to start it (a harmless duplicate) or gone. While the queue is not
  empty, pending jobs are left alone: in a long backlog they are simply waiting, and
  publishing them again would only grow the queue.

The rows are locked with ``FOR UPDATE SKIP LOCKED`` (workers sweeping at once take
different rows, and a job busy in a transaction is skipped), published, and their
``enqueued_at`` moved to now in the same transaction, committed after the publish: a
broker that fails leaves them for the next sweep.

:class:`Reconciler` runs a sweep every ``reconcile_interval`` seconds in a thread of
the worker's main process.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Celery
from sqlalchemy import Connection, Engine, func, select, update

from backbone.jobs._broker import queue_depth
from backbone.jobs._celery import enqueue
from backbone.jobs._kind import JobKind
from backbone.jobs._runner import lock_key
from backbone.jobs._settings import JobQueueSettings
from backbone.jobs._states import JobState

__all__ = ["BATCH", "Reconciler", "reconcile"]

logger = logging.getLogger(__name__)

BATCH = 500
"""Jobs one sweep looks at, oldest publish first."""
_OPEN = [JobState.PENDING.value, JobState.IN_PROGRESS.value]


def reconcile(
    engine: Engine, celery: Celery, *, kind: JobKind[Any], settings: JobQueueSettings
) -> list[uuid.UUID]:
    """One sweep (see the module docstring): the ids of the jobs published again."""
    table = kind.table
    pending_too = queue_depth(celery, settings.queue) == 0
    with engine.connect() as conn:
        stale = conn.execute(
            select(table.c.id, table.c.state)
            .where(
                table.c.state.in_(_OPEN),
                table.c.enqueued_at < func.now() - timedelta(seconds=settings.reconcile_after),
            )
            .order_by(table.c.enqueued_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        lost = [
            row.id
            for row in stale
            if (row.state == JobState.PENDING and pending_too)
            or (row.state == JobState.IN_PROGRESS and not _running(conn, row.id))
        ]
        if lost:
            conn.execute(update(table).where(table.c.id.in_(lost)).values(enqueued_at=func.now()))
            for job_id in lost:
                enqueue(celery, kind.task, job_id, queue=settings.queue)
        conn.commit()
    for job_id in lost:
        logger.warning(
            "job_republished kind=%s job_id=%s reason=%s", kind.name, job_id, "message lost"
        )
    return lost


def _running(conn: Connection, job_id: uuid.UUID) -> bool:
    """True if a delivery holds the job's advisory lock (taken and given back if free)."""
    key = lock_key(job_id)
    if conn.execute(select(func.pg_try_advisory_lock(key))).scalar_one():
        conn.execute(select(func.pg_advisory_unlock(key)))
        return False
    return True


class Reconciler:
    """A sweep every ``interval`` seconds in a daemon thread, until stopped."""

    def __init__(self, sweep: Callable[[], object], interval: float, *, name: str = "jobs") -> None:
        self._sweep = sweep
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{name}-reconciler", daemon=True)

    def start(self) -> None:
        """Start sweeping (the first sweep after one interval)."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop, and wait for it (a sweep in progress finishes)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._sweep()
            except Exception:  # the database or the broker away: try again next time
                logger.warning("job_reconcile_failed", exc_info=True)
