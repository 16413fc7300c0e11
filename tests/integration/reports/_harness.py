"""The report worker's test harness: real worker processes, jobs submitted as the API does.

:class:`Reports` holds one test's job table (a migrated database of its own), broker
(a Redis database of its own), reports directory and settings; it submits jobs the way
the API does (insert the row, publish, commit) and starts ``python -m backbone.cli
worker`` processes (:class:`WorkerProcess`) in a process group of their own, so that a
test can SIGKILL a worker with every pool process it forked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import redis
from celery import Celery
from sqlalchemy import Connection, Engine, Row, create_engine, insert, select, update

from backbone.core.db import migrate, sync_database_url
from backbone.jobs import JobRunner, JobState, Outcome
from backbone.jobs._celery import create_celery, enqueue
from backbone.jobs._database import Database
from backbone.reports.config import ReportsSettings
from backbone.reports.files import report_path, report_text
from backbone.reports.handler import ReportHandler
from backbone.reports.kind import REPORTS, TASK_NAME
from backbone.reports.migrations import VERSIONS
from backbone.reports.models import REPORT_JOBS as JOBS

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Short enough for fast tests, ordered as the settings require (job < soft < hard < visibility).
FAST = {
    "job_seconds": 2.0,
    "soft_time_limit": 4.0,
    "time_limit": 5.0,
    "visibility_timeout": 6.0,
    "missing_row_retries": 3,
    "missing_row_delay": 0.2,
}
_ENV_NAMES = {
    "job_seconds": "BACKBONE_REPORTS_JOB_SECONDS",
    "soft_time_limit": "BACKBONE_REPORTS_SOFT_TIME_LIMIT",
    "time_limit": "BACKBONE_REPORTS_TIME_LIMIT",
    "visibility_timeout": "BACKBONE_REPORTS_VISIBILITY_TIMEOUT",
    "missing_row_retries": "BACKBONE_REPORTS_MISSING_ROW_RETRIES",
    "missing_row_delay": "BACKBONE_REPORTS_MISSING_ROW_DELAY",
    "max_attempts": "BACKBONE_REPORTS_MAX_ATTEMPTS",
    "reconcile_interval": "BACKBONE_REPORTS_RECONCILE_INTERVAL",
    "reconcile_after": "BACKBONE_REPORTS_RECONCILE_AFTER",
}


def migrate_reports(database_url: str) -> None:
    """Migrate the test's database to the newest report job table."""
    migrate(database_url, locations=[VERSIONS])


# A connection per database and thread, kept between deliveries as a worker process keeps
# its own: deliveries in two threads are two sessions, as two worker processes would be.
_DATABASES: dict[tuple[str, int], Database] = {}


def database_for(engine: Engine) -> Database:
    """The jobs layer's connection to ``engine``'s database, for this thread."""
    url = engine.url.render_as_string(hide_password=False)
    key = (url, threading.get_ident())
    if key not in _DATABASES:
        _DATABASES[key] = Database(url)
    return _DATABASES[key]


def close_databases() -> None:
    """Close every connection :func:`database_for` opened."""
    while _DATABASES:
        _DATABASES.popitem()[1].close()


def run_job(engine: Engine, settings: ReportsSettings, job_id: uuid.UUID) -> Outcome:
    """One delivery of a report job in-process, as a worker's task runs it."""
    runner = JobRunner(
        kind=REPORTS.name,
        table=JOBS,
        handler=ReportHandler(settings),
        max_attempts=settings.max_attempts,
    )
    return runner.run(database_for(engine), job_id)


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """Poll ``check`` until it returns something other than None/False; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


class WorkerProcess:
    """One worker process (``python -m backbone.cli worker`` unless ``argv`` says otherwise),
    its output in a log file; ``kind`` is the job kind it announces itself ready for."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        cwd: Path,
        log: Path,
        concurrency: int = 2,
        argv: list[str] | None = None,
        kind: str = "reports",
    ) -> None:
        self.log = log
        self.killed = False
        self.kind = kind
        if argv is None:
            argv = [sys.executable, "-m", "backbone.cli", "worker", f"--concurrency={concurrency}"]
            argv.append(f"--hostname=test-{uuid.uuid4().hex[:8]}@%h")
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                argv,
                env=dict(env),
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        """Everything the worker has logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, *, timeout: float = 20.0, count: int = 1) -> str:
        """Wait until ``text`` is in the log ``count`` times (failing early if the worker exits)."""

        def seen() -> str | None:
            output = self.output()
            if output.count(text) >= count:
                return output
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited ({self.process.returncode}):\n{output}")
            return None

        try:
            return wait_for(seen, timeout=timeout, what=f"{text!r} x{count} in the worker's log")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the log ends:\n{self.output()[-4000:]}") from None

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the worker consumes from the queue."""
        self.wait_log(f"job_worker_ready kind={self.kind}", timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the worker and every process of its group (its pool processes)."""
        self.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, signum: int = signal.SIGTERM) -> None:
        """Ask for a warm shutdown (SIGTERM, or SIGINT), without waiting for it."""
        if self.process.poll() is None:
            self.process.send_signal(signum)

    def reap(self, timeout: float) -> int:
        """Wait for the worker to exit; SIGKILL its group after ``timeout``. The exit code."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.wait()


class Reports:
    """One test's report processor: job table, broker, reports directory, workers."""

    def __init__(self, *, database_url: str, redis_url: str, root: Path) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.root = root
        self.reports_dir = root / "reports"
        self.settings = self.make_settings()
        self.engine: Engine = create_engine(sync_database_url(database_url), pool_size=10)
        self.celery: Celery = create_celery(self.settings, main="backbone.reports")
        self.redis = redis.Redis.from_url(redis_url)
        self.workers: list[WorkerProcess] = []

    def make_settings(self, **overrides: Any) -> ReportsSettings:
        """Settings of this test's stores with the fast limits (and ``overrides``)."""
        values: dict[str, Any] = {"reports_dir": self.reports_dir, **FAST, **overrides}
        return ReportsSettings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=self.database_url,
            redis_url=self.redis_url,
            broker_url=None,
            queue="reports",
            **values,
        )

    def close(self) -> None:
        """Close the test's own clients (workers are the fixture's business)."""
        close_databases()
        self.celery.close()
        self.redis.close()
        self.engine.dispose()

    # ------------------------------------------------------------------ workers

    def worker_env(self, *, database_url: str | None = None, **overrides: Any) -> dict[str, str]:
        """The environment of a worker process for this test's stores (or ``database_url``)."""
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("BACKBONE_REPORTS_", "LOG_"))
        }
        env.update(
            DATABASE_URL=database_url or self.database_url,
            REDIS_URL=self.redis_url,
            BACKBONE_REPORTS_DIR=str(self.reports_dir),
            LOG_LEVEL="INFO",
            LOG_FORMAT="console",
            PYTHONUNBUFFERED="1",
        )
        for name, value in {**FAST, **overrides}.items():
            env[_ENV_NAMES[name]] = str(value)
        return env

    def start_worker(
        self, *, concurrency: int = 2, database_url: str | None = None, **overrides: Any
    ) -> WorkerProcess:
        """Start a worker and wait until it is ready (``overrides``: ``job_seconds``...)."""
        index = len(self.workers)
        worker = WorkerProcess(
            env=self.worker_env(database_url=database_url, **overrides),
            cwd=self.root,
            log=self.root / f"worker-{index}.log",
            concurrency=concurrency,
        )
        self.workers.append(worker)
        worker.wait_ready()
        return worker

    # ------------------------------------------------------------------ jobs

    def insert(self, conn: Connection, *, title: str = "Quarterly", **values: Any) -> uuid.UUID:
        """Insert a pending job row (as the API's ``insert_job`` does) in ``conn``'s transaction."""
        job_id, now = uuid.uuid4(), datetime.now(UTC)
        row = {
            "state": JobState.PENDING.value,
            "progress": 0,
            "attempts": 0,
            "created_at": now,
            "enqueued_at": now,
            **values,
        }
        conn.execute(insert(JOBS).values(id=job_id, title=title, **row))
        return job_id

    def submit(self, *, title: str = "Quarterly", **values: Any) -> uuid.UUID:
        """Submit a job as the API does: insert the row, publish inside the transaction, commit."""
        with self.engine.begin() as conn:
            job_id = self.insert(conn, title=title, **values)
            enqueue(self.celery, TASK_NAME, job_id, queue=self.settings.queue)
        return job_id

    def publish(self, job_id: uuid.UUID, **options: Any) -> None:
        """Publish the job's task again, or with Celery options (``soft_time_limit``...)."""
        self.celery.send_task(
            TASK_NAME,
            args=[str(job_id)],
            task_id=str(job_id),
            queue=self.settings.queue,
            retry=False,
            **options,
        )

    def row(self, job_id: uuid.UUID) -> Row[Any]:
        """The job's row (fails if there is none)."""
        with self.engine.connect() as conn:
            return conn.execute(select(JOBS).where(JOBS.c.id == job_id)).one()

    def rows(self) -> list[Row[Any]]:
        """Every job's row."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(JOBS)))

    def set_state(self, job_id: uuid.UUID, state: JobState) -> None:
        """Change the job's state as the API's cancel does."""
        with self.engine.begin() as conn:
            conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(state=state.value))

    def wait_state(self, job_id: uuid.UUID, state: JobState, *, timeout: float = 20.0) -> Row[Any]:
        """Wait until the job is in ``state``; its row."""

        def in_state() -> Row[Any] | None:
            row = self.row(job_id)
            return row if row.state == state else None

        try:
            return wait_for(in_state, timeout=timeout, what=f"job {job_id} to be {state}")
        except AssertionError as exc:
            # What the row and every worker said is what a failure needs to be understood.
            logs = "\n".join(
                f"--- worker {i}:\n{w.output()[-6000:]}" for i, w in enumerate(self.workers)
            )
            raise AssertionError(f"{exc}; the row: {self.row(job_id)}\n{logs}") from None

    def report(self, job_id: uuid.UUID) -> Path:
        """Where the job's report is (or would be)."""
        return report_path(self.reports_dir, job_id)

    def expected_report(self, job_id: uuid.UUID) -> str:
        """The report the job's row says it must have."""
        row = self.row(job_id)
        assert row.report_time is not None
        return report_text(job_id=job_id, title=row.title, report_time=row.report_time)

    def queue_is_empty(self) -> bool:
        """No message waiting, none delivered and unacknowledged, none scheduled for later."""
        waiting = self.redis.llen(self.settings.queue)
        unacked = self.redis.hlen("unacked")
        return waiting == 0 and unacked == 0


@contextlib.contextmanager
def reports_harness(
    *, database_url: str, redis_url: str, root: Path, stopping: list[WorkerProcess]
) -> Iterator[Reports]:
    """A :class:`Reports`; afterwards its clients are closed and its workers asked to stop.

    The workers are only sent SIGTERM (a warm shutdown takes a few seconds): they are
    added to ``stopping`` for the caller to :meth:`~WorkerProcess.reap` later.
    """
    reports = Reports(database_url=database_url, redis_url=redis_url, root=root)
    try:
        yield reports
    finally:
        for worker in reports.workers:
            worker.terminate()
        stopping.extend(reports.workers)
        reports.close()
