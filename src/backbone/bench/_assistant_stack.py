"""What ``backbone bench assistant`` runs: the assistant API, its worker, the bare baseline.

The stores are :func:`backbone.bench._reports_stack.bench_stores`'s (embedded unless
``REDIS_URL`` / ``DATABASE_URL`` are set; a database of the run's own, migrated with the
assistant's revisions, dropped afterwards; Redis keys carrying the run's token deleted).

**Processes** are children of :func:`backbone.bench._stack.children`: the API as
``backbone up`` runs it (``backbone serve assistant``, under uvicorn), one
``backbone worker assistant`` with ``workers`` processes on the run's queue, and the
baseline (``python -m backbone.bench._crew_baseline``). Both of ours run the offline
engine ``local`` and get limits raised for the benchmark: 50 users registering, logging
in and submitting from one address would be refused long before the load.

**Rate-limit buckets.** The assistant keeps them in Redis under keys hashed from an
email, a user id or a client address, so the token cannot be in them. The run's users
have emails carrying the token and connect from a loopback address of the run's own
(``127.x.y.z``, from the token): their buckets are theirs alone, a stack on the
same Redis is not disturbed, and :func:`forget_buckets` deletes exactly them afterwards.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
import redis
from celery import Celery
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from backbone.assistant.auth.limits import PREFIX
from backbone.bench._reports_load import wait_until
from backbone.bench._reports_stack import JobTable, Names, Stores
from backbone.bench._stack import StackError, Starter
from backbone.devstack import Child, find_free_port

__all__ = [
    "ASSISTANT_BENCH_ERRORS",
    "BUCKETS",
    "AssistantRig",
    "Baseline",
    "client_address",
    "forget_buckets",
    "quiesce",
]

ASSISTANT_BENCH_ERRORS: tuple[type[Exception], ...] = (
    RuntimeError,
    ValueError,
    OSError,
    SQLAlchemyError,
    RedisError,
    httpx.HTTPError,
    aiohttp.ClientError,
)
"""What stops a benchmark on the assistant's stack with a one-line message (exit 1)."""

BUCKETS = ("login-account", "login-client", "register-client", "task-submit")
"""The assistant's rate limits (:class:`backbone.assistant.auth.limits.AuthLimits`)."""
_RAISED = {
    "BACKBONE_ASSISTANT_LOGIN_ACCOUNT_BURST": "10000",
    "BACKBONE_ASSISTANT_LOGIN_ACCOUNT_PER_MINUTE": "600000",
    "BACKBONE_ASSISTANT_LOGIN_CLIENT_BURST": "10000",
    "BACKBONE_ASSISTANT_LOGIN_CLIENT_PER_MINUTE": "600000",
    "BACKBONE_ASSISTANT_REGISTER_CLIENT_BURST": "10000",
    "BACKBONE_ASSISTANT_REGISTER_CLIENT_PER_MINUTE": "600000",
    "BACKBONE_ASSISTANT_TASK_SUBMIT_BURST": "10000",
    "BACKBONE_ASSISTANT_TASK_SUBMIT_PER_MINUTE": "600000",
    # Accounts are made before anything is measured: a cheaper hash only shortens that.
    "BACKBONE_ASSISTANT_PASSWORD_TIME_COST": "1",
    "BACKBONE_ASSISTANT_PASSWORD_MEMORY_KIB": "8192",
    "BACKBONE_ASSISTANT_PASSWORD_PARALLELISM": "1",
}
"""Settings the benchmark changes, each for a reason said beside it or in the docstring."""
BASELINE_TIMEOUT = 600.0


def client_address(names: Names) -> str:
    """The run's own loopback address, ``127.x.y.z`` from its token (never ``127.0.0.1``)."""
    digest = hashlib.blake2b(names.token.encode(), digest_size=3).digest()
    return "127." + ".".join(str(1 + byte % 254) for byte in digest)


def bucket_key(bucket: str, key: str) -> str:
    """Where the assistant keeps ``key``'s bucket of limit ``bucket`` (its limiter's hash)."""
    raw = key.encode("utf-8", "surrogatepass")
    return f"{PREFIX}{bucket}:" + hashlib.blake2b(raw, digest_size=16).hexdigest()


def forget_buckets(redis_url: str, keys: Iterable[str]) -> None:
    """Delete the run's buckets: every limit's, for each of ``keys`` (emails, ids, address)."""
    names = [bucket_key(bucket, key) for key in keys for bucket in BUCKETS]
    if names:
        with redis.Redis.from_url(redis_url) as client:
            client.delete(*names)


@dataclass(frozen=True, slots=True)
class Baseline:
    """One loop of the baseline: runs done, how long they took, runs that failed."""

    tasks: int
    seconds: float
    errors: int


@dataclass
class AssistantRig:
    """Starts the run's API, worker and baseline (children of ``starter``) on ``stores``."""

    starter: Starter
    stores: Stores
    names: Names
    workers: int
    admin_email: str
    services: dict[str, str] = field(default_factory=dict)
    """``BACKBONE_*_URL`` of the services the recommender and automations use."""

    def _env(self) -> dict[str, str]:
        return {
            **self.services,
            "REDIS_URL": self.stores.redis_url,
            "DATABASE_URL": self.stores.database_url,
            "BACKBONE_LLM_MODEL": "local",
            "BACKBONE_ASSISTANT_QUEUE": self.names.queue,
            "BACKBONE_ASSISTANT_DATA_DIR": str(self.starter.tmp / "assistant"),
            "BACKBONE_ASSISTANT_ADMIN_EMAILS": self.admin_email,
            # The run's own model, which forget_keys deletes with the run's other keys.
            "BACKBONE_ASSISTANT_RECOMMENDATIONS_KEY_PREFIX": f"bench-{self.names.token}:recs:",
            **_RAISED,
        }

    def api(self) -> str:
        """Start ``backbone serve assistant`` on a free port; its URL once ready."""
        port = find_free_port()
        self.starter.serve("assistant", port, **self._env())
        return f"http://127.0.0.1:{port}"

    def worker(self) -> Child:
        """Start ``backbone worker assistant`` with ``workers`` processes (not waiting)."""
        argv = [sys.executable, "-m", "backbone.cli", "worker", "assistant"]
        argv += [f"--concurrency={self.workers}", f"--hostname={self.names.hostname('worker')}"]
        return self.starter.spawn("worker-assistant", argv, **self._env())

    def baseline(self, tasks: int) -> dict[str, Baseline]:
        """Run the bare baseline in a process of its own until it exits; its loops by name."""
        out = self.starter.tmp / "baseline.json"
        data_dir = self.starter.tmp / "baseline"
        argv = [sys.executable, "-m", "backbone.bench._crew_baseline"]
        argv += [str(tasks), str(out), str(data_dir)]
        child = self.starter.spawn("baseline", argv)
        deadline = time.monotonic() + BASELINE_TIMEOUT
        while child.poll() is None:
            if time.monotonic() > deadline:
                raise child.failure(f"did not finish in {BASELINE_TIMEOUT:g} s")
            time.sleep(0.1)
        if child.poll() != 0:
            raise child.failure(f"exited with code {child.poll()}")
        loops = json.loads(Path(out).read_text())
        return {
            name: Baseline(int(loop["tasks"]), float(loop["seconds"]), int(loop["errors"]))
            for name, loop in loops.items()
        }

    def purge(self) -> None:
        """Empty the run's queue."""
        celery = Celery(broker=self.stores.redis_url, set_as_current=False)
        try:
            with celery.connection_for_write() as connection:
                connection.default_channel.queue_purge(self.names.queue)
        finally:
            celery.close()


def quiesce(rig: AssistantRig, table: JobTable, worker: Child, *, stall: float = 30.0) -> None:
    """Cancel every open task and empty the queue until no task runs: the load's backlog gone."""

    def running() -> int:
        table.cancel_open()
        rig.purge()
        return -table.running()

    waited = wait_until(running, 0, check=worker.check_running, stall=stall, interval=0.2)
    if waited.value < 0:
        raise StackError(f"{-waited.value} tasks still running {stall:g} s after being cancelled")
