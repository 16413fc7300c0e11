"""What ``backbone bench review`` runs: the fake GitHub, the review API, its worker, the baseline.

The stores are :func:`backbone.bench._reports_stack.bench_stores`'s (embedded unless
``REDIS_URL`` / ``DATABASE_URL`` are set; a database of the run's own, migrated with the
review's revisions, dropped afterwards; Redis keys carrying the run's token deleted).

**Processes** are children of :func:`backbone.bench._stack.children`, as ``backbone up``
runs them: the fake GitHub (``backbone serve github``, its hourly rate limit raised: a
run makes thousands of calls), the API (``backbone serve review``, under uvicorn), one
``backbone worker review`` with ``workers`` processes on the run's queue, and the
baseline (``python -m backbone.bench._review_baseline``). The API and the worker get a
webhook secret and an API token made for the run (never printed), the fake GitHub's
token, and the offline engine ``local``.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
import redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from backbone.bench._reports_stack import Names, Stores
from backbone.bench._stack import Starter
from backbone.cli._up import FAKE_GITHUB_TOKEN
from backbone.devstack import Child, find_free_port

__all__ = [
    "REVIEW_BENCH_ERRORS",
    "Bare",
    "ReviewRig",
]

REVIEW_BENCH_ERRORS: tuple[type[Exception], ...] = (
    RuntimeError,
    ValueError,
    OSError,
    SQLAlchemyError,
    RedisError,
    httpx.HTTPError,
    aiohttp.ClientError,
)
"""What stops ``backbone bench review`` with a one-line message (exit 1)."""

FAKE_RATE_LIMIT = "100000000"
BASELINE_TIMEOUT = 1800.0
_OFF = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
}
"""CrewAI's network off: the offline engine needs none, and nothing may wait on it."""


@dataclass(frozen=True, slots=True)
class Bare:
    """The baseline's loop: reviews built, in how long, how many failed, findings each."""

    reviews: int
    seconds: float
    errors: int
    findings: int


@dataclass
class ReviewRig:
    """Starts the run's fake GitHub, API, worker and baseline (children of ``starter``)."""

    starter: Starter
    stores: Stores
    names: Names
    workers: int
    secret: str = field(default_factory=lambda: secrets.token_hex(24), repr=False)
    api_token: str = field(default_factory=lambda: secrets.token_hex(24), repr=False)
    github_url: str = ""

    @property
    def repo(self) -> str:
        """The run's repository on the fake GitHub."""
        return f"backbone-bench/review-{self.names.token}"

    def github(self) -> str:
        """Start ``backbone serve github`` on a free port; its URL once ready."""
        port = find_free_port()
        self.starter.serve("github", port, BACKBONE_GITHUB_FAKE_RATE_LIMIT=FAKE_RATE_LIMIT)
        self.github_url = f"http://127.0.0.1:{port}"
        return self.github_url

    def _env(self) -> dict[str, str]:
        if not self.github_url:
            raise RuntimeError("start the fake GitHub first")
        return {
            **_OFF,
            "REDIS_URL": self.stores.redis_url,
            "DATABASE_URL": self.stores.database_url,
            "BACKBONE_LLM_MODEL": "local",
            "BACKBONE_REVIEW_QUEUE": self.names.queue,
            "BACKBONE_REVIEW_WEBHOOK_SECRET": self.secret,
            "BACKBONE_REVIEW_API_TOKEN": self.api_token,
            "BACKBONE_REVIEW_GITHUB_API_URL": self.github_url,
            "BACKBONE_REVIEW_GITHUB_TOKEN": FAKE_GITHUB_TOKEN,
            "BACKBONE_REVIEW_DATA_DIR": str(self.starter.tmp / "review"),
        }

    def api(self) -> tuple[str, Child]:
        """Start ``backbone serve review`` on a free port; its URL and process once ready."""
        port = find_free_port()
        child = self.starter.serve("review", port, **self._env())
        return f"http://127.0.0.1:{port}", child

    def worker(self) -> Child:
        """Start ``backbone worker review`` with ``workers`` processes (not waiting)."""
        argv = [sys.executable, "-m", "backbone.cli", "worker", "review"]
        argv += [f"--concurrency={self.workers}", f"--hostname={self.names.hostname('worker')}"]
        return self.starter.spawn("worker-review", argv, **self._env())

    def baseline(self, reviews: int, number: int) -> Bare:
        """Build pull request ``number``'s review ``reviews`` times in a process of its own
        (:mod:`backbone.bench._review_baseline`) until it exits; its loop."""
        out = self.starter.tmp / "baseline.json"
        argv = [sys.executable, "-m", "backbone.bench._review_baseline"]
        argv += [str(reviews), str(out), self.repo, str(number)]
        env = {**self._env(), "BACKBONE_REVIEW_DATA_DIR": str(self.starter.tmp / "baseline")}
        child = self.starter.spawn("baseline", argv, **env)
        deadline = time.monotonic() + BASELINE_TIMEOUT
        while child.poll() is None:
            if time.monotonic() > deadline:
                raise child.failure(f"did not finish in {BASELINE_TIMEOUT:g} s")
            time.sleep(0.1)
        if child.poll() != 0:
            raise child.failure(f"exited with code {child.poll()}")
        loop = json.loads(Path(out).read_text())
        return Bare(
            int(loop["reviews"]), float(loop["seconds"]), int(loop["errors"]), int(loop["findings"])
        )

    def purge(self) -> None:
        """Empty the run's queue (its messages are Redis list items under the queue's name)."""
        with redis.Redis.from_url(self.stores.redis_url) as client:
            client.delete(self.names.queue)
