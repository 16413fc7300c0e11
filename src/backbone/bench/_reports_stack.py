"""What ``backbone bench reports`` runs: stores, the report API, workers, a bare Celery worker.

**Stores.** Redis and PostgreSQL are ``REDIS_URL`` / ``DATABASE_URL`` (environment or
``.env``) when set, else embedded servers started in the benchmark's temporary
directory, as ``backbone up`` would. Either way the run keeps to itself, so a stack
running on the same servers is not disturbed: a database of its own
(``backbone_bench_<token>``, migrated, dropped afterwards), and Redis queues, a
counter and worker names that carry the run's token, deleted afterwards (with the
entries Celery leaves in kombu's shared bindings).

**Processes** are children of :func:`backbone.bench._stack.children`: one API
(``backbone serve reports``) and ``backbone worker`` processes, all on the run's queue,
and the baseline's worker (``celery -A backbone.bench._celery:app worker``) with the
flags ``backbone worker`` uses. :class:`JobTable` reads and writes the run's job table
directly (counting finished jobs, cancelling what is left over).
"""

from __future__ import annotations

import contextlib
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from celery import Celery
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from backbone.bench._celery import BROKER_ENV, COUNTER_ENV, QUEUE_ENV
from backbone.bench._naive import BROKER_ENV as NAIVE_BROKER_ENV
from backbone.bench._naive import DIR_ENV as NAIVE_DIR_ENV
from backbone.bench._naive import PREFIX_ENV as NAIVE_PREFIX_ENV
from backbone.bench._naive import QUEUE_ENV as NAIVE_QUEUE_ENV
from backbone.bench._stack import STOP_GRACE, Starter
from backbone.cli._services import POSTGRES, REDIS
from backbone.cli._up import external_urls
from backbone.cli._worker import worker_argv
from backbone.core.db import libpq_url, migrate, sync_database_url
from backbone.devstack import (
    Child,
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServer,
    SignalGuard,
    find_free_port,
)
from backbone.jobs import CANCEL_REASON, JobState
from backbone.reports.config import ReportsSettings
from backbone.reports.migrations import VERSIONS
from backbone.reports.models import REPORT_JOBS as JOBS

__all__ = ["JobTable", "Names", "Rig", "Stores", "bench_stores", "forget_keys", "with_database"]

_FINISHED = [JobState.COMPLETE.value, JobState.FAILED.value]
_OPEN = [JobState.PENDING.value, JobState.IN_PROGRESS.value]


@dataclass(frozen=True, slots=True)
class Names:
    """Everything the run creates in shared stores carries its token."""

    token: str

    @classmethod
    def new(cls) -> Names:
        """Names with a fresh random token."""
        return cls(uuid.uuid4().hex[:12])

    @property
    def database(self) -> str:
        """The run's own database."""
        return f"backbone_bench_{self.token}"

    @property
    def queue(self) -> str:
        """The queue our API publishes to and our workers consume."""
        return f"bench-{self.token}"

    @property
    def bare_queue(self) -> str:
        """The baseline's queue."""
        return f"bench-{self.token}-bare"

    @property
    def naive_queue(self) -> str:
        """The naive peer's queue."""
        return f"bench-{self.token}-naive"

    @property
    def naive_prefix(self) -> str:
        """What the naive peer's result keys start with."""
        return f"bench-{self.token}-naive-"

    @property
    def counter(self) -> str:
        """The Redis key the baseline's task increments."""
        return f"bench-{self.token}-count"

    def hostname(self, role: str) -> str:
        """A Celery node name of the run's own (``%h``: this host)."""
        return f"bench-{self.token}-{role}@%h"


@dataclass(frozen=True, slots=True)
class Stores:
    """Where the run's Redis and its own (migrated) database are; where they came from."""

    redis_url: str
    database_url: str
    origin: str


def with_database(url: str, name: str) -> str:
    """The same server URL, pointing at database ``name``."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextlib.contextmanager
def _embedded(server: EmbeddedServer, guard: SignalGuard) -> Iterator[str]:
    try:
        # A Ctrl-C while it starts waits until it is up, then stops it with the rest.
        with guard.deferred():
            server.start()
        yield server.url
    finally:
        server.stop()


@contextlib.contextmanager
def _own_database(server_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on the server, yield its URL, drop it (and its sessions) after."""
    admin = create_engine(
        sync_database_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield with_database(server_url, name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


_BINDING = b"_kombu.binding."
_DEADLINES = "_kombu.binding_deadlines"


def forget_keys(redis_url: str, token: str) -> None:
    """Delete the run's keys, its members of kombu's shared binding sets and unacked hash,
    and the binding deadlines it leaves without a table."""
    client = redis.Redis.from_url(redis_url)
    mark = token.encode()
    try:
        keys = list(client.scan_iter(match=f"*{token}*"))
        if keys:
            client.delete(*keys)
        for key in client.scan_iter(match="_kombu.binding*", _type="set"):
            members = [member for member in client.smembers(key) if mark in member]
            if members:
                client.srem(key, *members)
        for tag, message in client.hscan_iter("unacked"):
            if mark in message:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
        # kombu's deadlines of expiring bindings name exchanges, not queues: an exchange
        # whose binding table is gone (the run's members were its last) has nothing to sweep.
        exchanges: list[bytes] = client.zrange(_DEADLINES, 0, -1)  # type: ignore[assignment]
        for exchange in exchanges:
            if not client.exists(_BINDING + exchange):
                client.zrem(_DEADLINES, exchange)
    finally:
        client.close()


@contextlib.contextmanager
def bench_stores(
    tmp: Path, guard: SignalGuard, names: Names, *, locations: Sequence[Path] = (VERSIONS,)
) -> Iterator[Stores]:
    """The run's Redis and its database migrated with ``locations`` (the report
    processor's revisions unless told); all cleaned up after (see the module docstring)."""
    external = external_urls()
    with contextlib.ExitStack() as stack:
        redis_url = external[REDIS] or stack.enter_context(
            _embedded(EmbeddedRedis(data_dir=tmp / "redis"), guard)
        )
        server_url = external[POSTGRES] or stack.enter_context(
            _embedded(EmbeddedPostgres(data_dir=tmp / "postgres"), guard)
        )
        database_url = stack.enter_context(_own_database(server_url, names.database))
        stack.callback(forget_keys, redis_url, names.token)
        migrate(database_url, locations=list(locations))
        origin = {
            (True, True): "REDIS_URL and DATABASE_URL",
            (True, False): "REDIS_URL and embedded PostgreSQL",
            (False, True): "embedded Redis and DATABASE_URL",
            (False, False): "embedded Redis and PostgreSQL",
        }[bool(external[REDIS]), bool(external[POSTGRES])]
        yield Stores(redis_url, database_url, origin)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A table's own name (never input) goes into these.
_NEWEST = "SELECT max(created_at) FROM {table}"
_COUNT = "SELECT count(*) FROM {table} WHERE state = ANY(%s) AND created_at > %s"
_CANCEL = "UPDATE {table} SET state = %s, error = %s, finished_at = now() WHERE state = ANY(%s)"


class JobTable:
    """The run's job table, read and written directly.

    Polled every 10 ms while a batch runs, so each read is one prepared statement on a
    connection of its own (no ORM in between), counting only the jobs created since a
    mark: what the benchmark itself costs stays small, and the same for every batch.
    ``table`` is the job table's name (the report processor's unless told).
    """

    def __init__(self, database_url: str, *, table: str = JOBS.name) -> None:
        self._conn = psycopg.connect(libpq_url(database_url), autocommit=True, prepare_threshold=0)
        self._newest = _NEWEST.format(table=table)
        self._count = _COUNT.format(table=table)
        self._cancel = _CANCEL.format(table=table)

    def mark(self) -> datetime:
        """The newest job's creation time (a batch's jobs are those created after it)."""
        row = self._conn.execute(self._newest).fetchone()
        return row[0] if row and row[0] is not None else _EPOCH

    def count(self, states: list[str], *, after: datetime = _EPOCH) -> int:
        """Jobs in any of ``states``, created after ``after``."""
        row = self._conn.execute(self._count, (states, after)).fetchone()
        return int(row[0]) if row else 0

    def finished(self, *, after: datetime = _EPOCH) -> int:
        """Jobs complete or failed."""
        return self.count(_FINISHED, after=after)

    def failed(self, *, after: datetime = _EPOCH) -> int:
        """Jobs failed."""
        return self.count([JobState.FAILED.value], after=after)

    def running(self) -> int:
        """Jobs in progress."""
        return self.count([JobState.IN_PROGRESS.value])

    def cancel_open(self) -> int:
        """Cancel every pending or running job, as ``DELETE /reports/{id}`` would; how many."""
        cursor = self._conn.execute(self._cancel, (JobState.CANCELLED.value, CANCEL_REASON, _OPEN))
        return cursor.rowcount

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def _long_job_limits(seconds: float) -> dict[str, str]:
    """A worker's time limits for jobs of ``seconds`` (they must rise in this order)."""
    return {
        "BACKBONE_REPORTS_JOB_SECONDS": f"{seconds:g}",
        "BACKBONE_REPORTS_SOFT_TIME_LIMIT": f"{seconds + 30:g}",
        "BACKBONE_REPORTS_TIME_LIMIT": f"{seconds + 60:g}",
        "BACKBONE_REPORTS_VISIBILITY_TIMEOUT": f"{seconds + 90:g}",
    }


@dataclass
class Rig:
    """Starts the run's API and workers (children of ``starter``) against ``stores``."""

    starter: Starter
    stores: Stores
    names: Names
    concurrency: int

    def _env(self, **extra: str) -> dict[str, str]:
        return {
            "REDIS_URL": self.stores.redis_url,
            "DATABASE_URL": self.stores.database_url,
            "BACKBONE_REPORTS_QUEUE": self.names.queue,
            "BACKBONE_REPORTS_DIR": str(self.starter.tmp / "reports"),
            **extra,
        }

    def api(self) -> str:
        """Start ``backbone serve reports`` on a free port; its URL once ready."""
        port = find_free_port()
        self.starter.serve("reports", port, **self._env())
        return f"http://127.0.0.1:{port}"

    def worker(self, role: str, job_seconds: float) -> Child:
        """Start ``backbone worker`` whose jobs take ``job_seconds`` (not waiting for it)."""
        argv = [sys.executable, "-m", "backbone.cli", "worker"]
        argv += [f"--concurrency={self.concurrency}", f"--hostname={self.names.hostname(role)}"]
        env = self._env(**_long_job_limits(job_seconds))
        return self.starter.spawn(f"worker-{role}", argv, **env)

    def bare_worker(self) -> Child:
        """Start the baseline's Celery worker, with ``backbone worker``'s flags on its queue."""
        settings = ReportsSettings(
            _env_file=None,
            queue=self.names.bare_queue,
            log_level="WARNING",
        )
        flags = worker_argv(
            settings=settings, concurrency=self.concurrency, hostname=self.names.hostname("bare")
        )
        argv = [sys.executable, "-m", "celery", "-A", "backbone.bench._celery:app", *flags]
        env = {
            BROKER_ENV: self.stores.redis_url,
            QUEUE_ENV: self.names.bare_queue,
            COUNTER_ENV: self.names.counter,
        }
        return self.starter.spawn("worker-bare", argv, **env)

    def _naive_env(self) -> dict[str, str]:
        return {
            NAIVE_BROKER_ENV: self.stores.redis_url,
            NAIVE_QUEUE_ENV: self.names.naive_queue,
            NAIVE_DIR_ENV: str(self.starter.tmp / "naive-reports"),
            NAIVE_PREFIX_ENV: self.names.naive_prefix,
        }

    def naive_api(self) -> str:
        """Start the naive peer's API under uvicorn on a free port; its URL once ready."""
        port = find_free_port()
        argv = [sys.executable, "-m", "uvicorn", "backbone.bench._naive:api"]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        argv += ["--no-access-log"]
        ready = f"http://127.0.0.1:{port}/healthz"
        self.starter.start("naive-api", argv, ready, **self._naive_env())
        return f"http://127.0.0.1:{port}"

    def naive_worker(self) -> Child:
        """Start the naive peer's Celery worker, with ``backbone worker``'s flags on its queue."""
        queue = self.names.naive_queue
        settings = ReportsSettings(_env_file=None, queue=queue, log_level="WARNING")
        flags = worker_argv(
            settings=settings, concurrency=self.concurrency, hostname=self.names.hostname("naive")
        )
        argv = [sys.executable, "-m", "celery", "-A", "backbone.bench._naive:celery", *flags]
        return self.starter.spawn("worker-naive", argv, **self._naive_env())

    def retire(self, worker: Child, table: JobTable, *, grace: float = 15.0) -> None:
        """Stop a worker quickly and leave nothing for the next one on the queue.

        A warm shutdown, every open job cancelled meanwhile: a running job notices within
        a second and ends. What the worker had fetched and not started goes back to the
        queue, which is then emptied (its jobs are cancelled anyway).
        """
        worker.ask_to_stop()
        deadline = time.monotonic() + grace
        while worker.poll() is None and time.monotonic() < deadline:
            table.cancel_open()
            time.sleep(0.2)
        worker.stop(grace=STOP_GRACE)
        table.cancel_open()
        celery = Celery(broker=self.stores.redis_url, set_as_current=False)
        try:
            with celery.connection_for_write() as connection:
                connection.default_channel.queue_purge(self.names.queue)
        finally:
            celery.close()
