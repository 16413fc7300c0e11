"""A job kind's worker: the Celery app that ``celery -A <module> worker`` loads, and its task.

:class:`Worker` is the one object that configures it all (arq's ``WorkerSettings``):
built from a :class:`JobKind` and its settings, it holds the Celery app, and in each
worker process its database connection (opened for the first job, closed when the
process stops) and the handler. The task, ``kind.task(job_id)``, is a thin shell around
:class:`JobRunner`; here it decides only what to do with a message the runner could
not use:

- no committed row: the API publishes inside its transaction and commits after, so
  retry a few times with a short countdown, then drop the message with a warning;
- the database unreachable: retry with a growing countdown (a bounded number of times);
- another delivery holds the job: retry a while later;
- the hard time limit (the process running the job is killed, and Celery acknowledges
  the job): publish the job again, as if its worker had been lost.

The main process also sweeps for jobs whose message is gone, and publishes them again
(:mod:`backbone.jobs._reconciler`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Generic, TypeVar

from celery import Celery, Task
from celery.exceptions import TimeLimitExceeded
from celery.signals import (
    setup_logging,
    task_failure,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from backbone.core.db import sync_database_url
from backbone.core.logging import configure_logging
from backbone.jobs._celery import create_celery, enqueue, tune_for_workers
from backbone.jobs._database import Database, is_database_error
from backbone.jobs._errors import BrokerUnavailable
from backbone.jobs._kind import JobKind
from backbone.jobs._reconciler import Reconciler, reconcile
from backbone.jobs._runner import JobRunner, Outcome
from backbone.jobs._settings import JobQueueSettings

__all__ = ["BUSY_RETRIES", "DATABASE_RETRIES", "TASK_OPTIONS", "Worker"]

logger = logging.getLogger(__name__)

S = TypeVar("S", bound=JobQueueSettings)

DATABASE_RETRIES = 8
"""Retries of a job while the database is unreachable (countdowns 1, 2, 4... s, capped)."""
BUSY_RETRIES = 15
"""Retries, a tenth of the hard time limit apart, of a job another delivery holds."""
TASK_OPTIONS: dict[str, Any] = {"bind": True, "max_retries": None}
"""The task's options: bound to its request; no retry limit of its own (Celery's default is
3), as each reason to retry a delivery has its own bound."""


class Worker(Generic[S]):
    """A job kind's Celery app, task and signals; the engine and runner of this process."""

    def __init__(self, kind: JobKind[S], settings: S) -> None:
        self.kind = kind
        self.settings = settings
        self.celery: Celery = tune_for_workers(
            create_celery(settings, main=f"backbone.{kind.name}"), settings
        )
        self._database: Database | None = None
        self._runner: JobRunner | None = None
        self._reconcilers: list[Reconciler] = []
        self.task: Task = self.celery.task(name=kind.task, **TASK_OPTIONS)(_deliver(self))
        self._connect_signals()

    # ------------------------------------------------------------ process resources

    def _database_url(self) -> str:
        if self.settings.database_url is None:
            raise RuntimeError(f"the {self.kind.name} worker needs a database: set DATABASE_URL")
        return self.settings.database_url.get_secret_value()

    def create_engine(self, **options: Any) -> Engine:
        """A synchronous (psycopg 3) SQLAlchemy engine for ``DATABASE_URL`` (the reconciler's)."""
        options.setdefault("pool_pre_ping", True)
        return create_engine(sync_database_url(self._database_url()), **options)

    def start(self) -> Database:
        """This process's database connection (a forked pool process must not share its
        parent's), opened on the first delivery.

        No ping before each job: it would add a round trip to every job. A connection
        that went stale (PostgreSQL restarted) fails its job's first statement with a
        database error instead; it is closed, and the task retries the job a second later
        on a new one.
        """
        if self._database is None:
            self._database = Database(self._database_url())
        return self._database

    def stop(self) -> None:
        """Close this process's connection, if it has one."""
        if self._database is not None:
            self._database.close()
            self._database = None

    @property
    def database(self) -> Database:
        """The database, started on first use for pools that send no ``worker_process_init``."""
        return self.start()

    @property
    def runner(self) -> JobRunner:
        """This process's runner (its handler made on first use)."""
        if self._runner is None:
            kind = self.kind
            self._runner = JobRunner(
                kind=kind.name,
                table=kind.table,
                handler=kind.handler(self.settings),
                max_attempts=self.settings.max_attempts,
                steps=kind.steps,
            )
        return self._runner

    # ------------------------------------------------------------ signals

    def _connect_signals(self) -> None:
        setup_logging.connect(self._setup_logging, weak=False)
        worker_process_init.connect(self._open, weak=False)
        worker_ready.connect(self._announce_ready, weak=False)
        worker_ready.connect(self._start_reconciler, weak=False)
        worker_process_shutdown.connect(self._close, weak=False)
        worker_shutdown.connect(self._stop_reconciler, weak=False)
        worker_shutdown.connect(self._close, weak=False)
        task_failure.connect(self._on_task_failure, weak=False)

    def _open(self, **_: object) -> None:
        self.start()

    def _close(self, **_: object) -> None:
        self.stop()

    def _setup_logging(self, loglevel: int | str | None = None, **_: object) -> None:
        """Celery calls this instead of configuring logging itself (``celery -A`` too)."""
        settings = self.settings
        level = loglevel or settings.log_level
        configure_logging(level=level, fmt=settings.log_format, file=settings.log_file)

    def _announce_ready(self, **_: object) -> None:
        settings = self.settings
        logger.info(
            "job_worker_ready kind=%s queue=%s soft_time_limit=%g visibility_timeout=%g",
            self.kind.name,
            settings.queue,
            settings.soft_time_limit,
            settings.visibility_timeout,
        )

    def _start_reconciler(self, **_: object) -> None:
        """In the main process: sweep for jobs whose message is gone (a connection per sweep,
        so that no pool process forked later shares one with this thread)."""
        settings, kind = self.settings, self.kind
        if settings.reconcile_interval <= 0:
            return
        engine = self.create_engine(poolclass=NullPool, pool_pre_ping=False)

        def sweep() -> object:
            return reconcile(engine, self.celery, kind=kind, settings=settings)

        reconciler = Reconciler(sweep, settings.reconcile_interval, name=kind.name)
        self._reconcilers.append(reconciler)
        reconciler.start()

    def _stop_reconciler(self, **_: object) -> None:
        while self._reconcilers:
            self._reconcilers.pop().stop()

    def _on_task_failure(
        self, sender: Any = None, task_id: str | None = None, **kwargs: Any
    ) -> None:
        """The hard time limit is killing the pool process running a job: deliver it again.

        Celery acknowledges a job it kills at the hard limit, so without this it would stay
        in progress for ever. It is treated as a lost worker instead: published again, it
        runs once more or, its attempts used up, fails. This runs in the worker's main
        process, before the pool process is killed: it must not wait for anything that the
        stuck process may hold (a row lock), so it only publishes. Celery calls it twice
        for one timeout (from the failure and from the timeout handler): the second copy
        finds the job held or final and does nothing.
        """
        exception = kwargs.get("exception")
        if getattr(sender, "name", None) != self.kind.task:
            return
        if not isinstance(exception, TimeLimitExceeded):
            return
        job_id = uuid.UUID(str(task_id))
        limit = exception.args[0] if exception.args else self.settings.time_limit
        logger.warning(
            "job_hard_time_limit kind=%s job_id=%s limit=%s", self.kind.name, job_id, limit
        )
        try:
            enqueue(self.celery, self.kind.task, job_id, queue=self.settings.queue)
        except BrokerUnavailable:
            logger.exception("job_lost kind=%s job_id=%s", self.kind.name, job_id)

    # ------------------------------------------------------------ deliveries

    def deliver(self, task: Task, job_id: str) -> str:
        """Run one delivery of job ``job_id``; the outcome's name (Celery keeps no results)."""
        kind = self.kind.name
        try:
            key = uuid.UUID(str(job_id))
        except ValueError:
            logger.warning("job_dropped kind=%s job_id=%r reason=%s", kind, job_id, "not a UUID")
            return "dropped"
        try:
            outcome = self.runner.run(self.database, key)
        except Exception as exc:
            if not is_database_error(exc):
                raise
            retries = task.request.retries
            logger.warning(
                "job_database_unavailable kind=%s job_id=%s retry=%d", kind, key, retries + 1
            )
            countdown = min(2.0**retries, self.settings.visibility_timeout / 2)
            raise task.retry(exc=exc, countdown=countdown, max_retries=DATABASE_RETRIES) from exc
        settings = self.settings
        if outcome is Outcome.MISSING:
            limit, delay = settings.missing_row_retries, settings.missing_row_delay
            why = "no committed row"
            return self._retry_or_drop(
                task, key, "not_committed", limit=limit, delay=delay, why=why
            )
        if outcome is Outcome.BUSY:
            # Another delivery holds the job: it is running (then this one will find the job
            # done) or its process is dying (then this one will find the lock free).
            delay = max(0.5, settings.time_limit / 10)
            why = "another delivery still holds the job"
            return self._retry_or_drop(task, key, "busy", limit=BUSY_RETRIES, delay=delay, why=why)
        return outcome.value

    def _retry_or_drop(
        self, task: Task, job_id: uuid.UUID, event: str, *, limit: int, delay: float, why: str
    ) -> str:
        """Retry the job after ``delay`` unless it has been retried ``limit`` times: then drop."""
        retries, kind = task.request.retries, self.kind.name
        if retries < limit:
            logger.info("job_%s kind=%s job_id=%s retry=%d", event, kind, job_id, retries + 1)
            raise task.retry(countdown=delay, max_retries=None)
        logger.warning(
            "job_dropped kind=%s job_id=%s reason=%s after %d retries", kind, job_id, why, retries
        )
        return "dropped"


def _deliver(worker: Worker[Any]) -> Any:
    """The task body Celery registers (bound: its first argument is the task)."""

    def deliver(task: Task, job_id: str) -> str:
        return worker.deliver(task, job_id)

    deliver.__name__ = deliver.__qualname__ = worker.kind.task.rsplit(".", 1)[-1]
    deliver.__module__ = f"backbone.{worker.kind.name}"
    return deliver
