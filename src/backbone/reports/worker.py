"""The report worker: the Celery app that ``celery -A backbone.reports.worker worker`` loads.

``backbone worker`` starts it with the right flags. One object configures it all:
:data:`context` (a :class:`WorkerContext`) holds the settings and, in each worker
process, the database engine, created when the process starts (``worker_process_init``)
and disposed when it stops. The task, :data:`TASK_NAME` ``(job_id)``, is a thin shell
around :func:`backbone.reports.runner.run_job`; here it decides only what to do with a
message the runner could not use:

- no committed row: the API publishes inside its transaction and commits after, so
  retry a few times with a short countdown, then drop the message with a warning;
- the database unreachable: retry with a growing countdown (a bounded number of times);
- the hard time limit (the process running the job is killed, and Celery acknowledges
  the job): publish the job again, as if its worker had been lost.

The main process also sweeps for jobs whose message is gone, and publishes them again
(:mod:`backbone.reports.reconciler`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from celery import Celery, Task
from celery.exceptions import TimeLimitExceeded
from celery.signals import (
    setup_logging,
    task_failure,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
)
from celery.signals import worker_shutdown as worker_shutdown_signal
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from backbone.core.db import sync_database_url
from backbone.core.logging import configure_logging
from backbone.reports.config import ReportsSettings, get_settings
from backbone.reports.queue import TASK_NAME, BrokerUnavailable, create_celery, enqueue
from backbone.reports.reconciler import Reconciler, reconcile
from backbone.reports.runner import Outcome, is_database_error, run_job

__all__ = [
    "BUSY_RETRIES",
    "DATABASE_RETRIES",
    "WorkerContext",
    "app",
    "context",
    "generate_report",
    "worker_celery",
]

logger = logging.getLogger(__name__)

DATABASE_RETRIES = 8
"""Retries of a job while the database is unreachable (countdowns 1, 2, 4... s, capped)."""
BUSY_RETRIES = 15
"""Retries, a tenth of the hard time limit apart, of a job another delivery holds."""


class WorkerContext:
    """The worker's settings, and the database engine of the current worker process."""

    def __init__(self, settings: ReportsSettings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    def create_engine(self, **options: Any) -> Engine:
        """A synchronous (psycopg 3) engine for ``DATABASE_URL``."""
        if self.settings.database_url is None:
            raise RuntimeError("the report worker needs a database: set DATABASE_URL")
        url = sync_database_url(self.settings.database_url.get_secret_value())
        options.setdefault("pool_pre_ping", True)
        return create_engine(url, **options)

    def start(self) -> Engine:
        """Create this process's engine (a forked pool process must not share its parent's).

        No ping before each job: it would add a round trip to every job. A connection
        that went stale (PostgreSQL restarted) fails its job's first statement with a
        database error instead; SQLAlchemy then discards the whole pool, and the task
        retries the job a second later on a new connection.
        """
        if self._engine is None:
            self._engine = self.create_engine(pool_size=2, max_overflow=2, pool_pre_ping=False)
        return self._engine

    def stop(self) -> None:
        """Dispose of this process's engine, if it has one."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> Engine:
        """The engine, started on first use for pools that send no ``worker_process_init``."""
        return self.start()


def worker_celery(settings: ReportsSettings) -> Celery:
    """The shared Celery app plus what only consumers need: prompt recovery of lost jobs.

    Redis gives an unacknowledged message (its worker died) back to the queue once it
    is older than the visibility timeout, but only when a worker sweeps for such
    messages: by default every 100 s or so. Sweep a few times per visibility timeout.
    """
    celery = create_celery(settings)
    sweep = max(1, int(settings.visibility_timeout / 4))
    celery.conf.broker_transport_options = {
        **celery.conf.broker_transport_options,
        "unacked_restore_interval": sweep,
        "unacked_restore_throttle": 1,
        # A worker killed mid-sweep must not block everyone's sweeps for the default 300 s.
        "unacked_mutex_expire": max(10, 2 * sweep),
    }
    # After a broker reconnection, let running jobs finish rather than kill them: the
    # message comes back after the visibility timeout and finds the job complete.
    celery.conf.worker_cancel_long_running_tasks_on_connection_loss = False
    # Our logging writes to whatever sys.stderr is: Celery's redirection of stderr into
    # logging would swallow every record.
    celery.conf.worker_redirect_stdouts = False
    return celery


context = WorkerContext(get_settings())
app = worker_celery(context.settings)


def _open_resources(**_: object) -> None:
    context.start()


def _close_resources(**_: object) -> None:
    context.stop()


def _setup_logging(loglevel: int | str | None = None, **_: object) -> None:
    """Celery calls this instead of configuring logging itself (``celery -A ... worker`` too)."""
    settings = context.settings
    level = loglevel or settings.log_level
    configure_logging(level=level, fmt=settings.log_format, file=settings.log_file)


def _announce_ready(**_: object) -> None:
    settings = context.settings
    logger.info(
        "report_worker_ready queue=%s job_seconds=%g visibility_timeout=%g",
        settings.queue,
        settings.job_seconds,
        settings.visibility_timeout,
    )


_reconcilers: list[Reconciler] = []


def _start_reconciler(**_: object) -> None:
    """In the main process: sweep for jobs whose message is gone (a connection per sweep,
    so that no pool process forked later shares one with this thread)."""
    settings = context.settings
    if settings.reconcile_interval <= 0:
        return
    engine = context.create_engine(poolclass=NullPool, pool_pre_ping=False)
    reconciler = Reconciler(lambda: reconcile(engine, app, settings), settings.reconcile_interval)
    _reconcilers.append(reconciler)
    reconciler.start()


def _stop_reconciler(**_: object) -> None:
    while _reconcilers:
        _reconcilers.pop().stop()


setup_logging.connect(_setup_logging)
worker_process_init.connect(_open_resources)
worker_ready.connect(_announce_ready)
worker_ready.connect(_start_reconciler)
worker_process_shutdown.connect(_close_resources)
worker_shutdown_signal.connect(_stop_reconciler)
worker_shutdown_signal.connect(_close_resources)


@app.task(name=TASK_NAME, bind=True)  # type: ignore[untyped-decorator]
def generate_report(self: Task, job_id: str) -> str:
    """Run one delivery of job ``job_id``; the outcome's name (Celery keeps no results)."""
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        logger.warning("report_job_dropped job_id=%r reason=%s", job_id, "not a UUID")
        return "dropped"
    try:
        outcome = run_job(context.engine, context.settings, key)
    except Exception as exc:
        if not is_database_error(exc):
            raise
        retries = self.request.retries
        logger.warning("report_job_database_unavailable job_id=%s retry=%d", key, retries + 1)
        countdown = min(2.0**retries, context.settings.visibility_timeout / 2)
        raise self.retry(exc=exc, countdown=countdown, max_retries=DATABASE_RETRIES) from exc
    settings = context.settings
    if outcome is Outcome.MISSING:
        limit, delay, why = (
            settings.missing_row_retries,
            settings.missing_row_delay,
            "no committed row",
        )
        return _retry_or_drop(self, key, "not_committed", limit=limit, delay=delay, why=why)
    if outcome is Outcome.BUSY:
        # Another delivery holds the job: it is running (then this one will find the job
        # done) or its process is dying (then this one will find the lock free).
        delay = max(0.5, settings.time_limit / 10)
        why = "another delivery still holds the job"
        return _retry_or_drop(self, key, "busy", limit=BUSY_RETRIES, delay=delay, why=why)
    return outcome.value


def _retry_or_drop(
    task: Task, job_id: uuid.UUID, event: str, *, limit: int, delay: float, why: str
) -> str:
    """Retry the job after ``delay`` unless it has been retried ``limit`` times: then drop it."""
    retries = task.request.retries
    if retries < limit:
        logger.info("report_job_%s job_id=%s retry=%d", event, job_id, retries + 1)
        raise task.retry(countdown=delay, max_retries=None)
    logger.warning("report_job_dropped job_id=%s reason=%s after %d retries", job_id, why, retries)
    return "dropped"


def _on_task_failure(sender: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    """The hard time limit is killing the pool process running a job: deliver the job again.

    Celery acknowledges a job it kills at the hard limit, so without this it would stay
    in progress for ever. It is treated as a lost worker instead: published again, it
    runs once more or, its attempts used up, fails. This runs in the worker's main
    process, before the pool process is killed: it must not wait for anything that the
    stuck process may hold (a row lock), so it only publishes. Celery calls it twice
    for one timeout (from the failure and from the timeout handler): the second copy
    finds the job held or final and does nothing.
    """
    exception = kwargs.get("exception")
    if getattr(sender, "name", None) != TASK_NAME or not isinstance(exception, TimeLimitExceeded):
        return
    job_id = uuid.UUID(str(task_id))
    limit = exception.args[0] if exception.args else context.settings.time_limit
    logger.warning("report_job_hard_time_limit job_id=%s limit=%s", job_id, limit)
    try:
        enqueue(app, job_id, queue=context.settings.queue)
    except BrokerUnavailable:
        logger.exception("report_job_lost job_id=%s", job_id)


task_failure.connect(_on_task_failure)
