"""A whole review stack for the integration tests: the fake GitHub live on loopback, the
review API in-process, and real ``backbone worker review`` processes, sharing one
migrated database and one Redis db."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from backbone.review.config import ReviewSettings
from tests.integration.reports._harness import WorkerProcess
from tests.integration.review.conftest import QUEUE, SECRET, TOKEN, review_settings

FAKE_TOKEN = "fake-github-token"
FAKE_AUTH = {"Authorization": f"Bearer {FAKE_TOKEN}"}
# A review takes about a second once CrewAI is loaded: limits short enough that a killed
# worker's review is delivered again within the test, ordered as the settings require.
LIMITS = {"soft_time_limit": 8.0, "time_limit": 10.0, "visibility_timeout": 12.0}
_CREWAI_ENV = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_TESTING": "true",
}
FINAL = {"complete", "failed", "cancelled"}


class ReviewStack:
    """The fake GitHub's URL, the stores, and the workers started so far."""

    def __init__(self, *, github_url: str, database_url: str, redis_url: str, root: Path) -> None:
        self.github_url = github_url
        self.database_url = database_url
        self.redis_url = redis_url
        self.root = root
        self.workers: list[WorkerProcess] = []
        self.github = httpx.Client(base_url=github_url, headers=FAKE_AUTH, timeout=10)

    def settings(self, **overrides: Any) -> ReviewSettings:
        """The API's settings (the workers read the same from their environment)."""
        values = {
            **LIMITS,
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "github_api_url": self.github_url,
            "github_token": FAKE_TOKEN,
            **overrides,
        }
        return review_settings(**values)

    def worker_env(self, **extra: str) -> dict[str, str]:
        """A worker process's environment for this stack."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKBONE_", "LOG_"))}
        env.update(
            _CREWAI_ENV,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            BACKBONE_REVIEW_QUEUE=QUEUE,
            BACKBONE_REVIEW_WEBHOOK_SECRET=SECRET,
            BACKBONE_REVIEW_API_TOKEN=TOKEN,
            BACKBONE_REVIEW_GITHUB_API_URL=self.github_url,
            BACKBONE_REVIEW_GITHUB_TOKEN=FAKE_TOKEN,
            BACKBONE_REVIEW_DATA_DIR=str(self.root / "data"),
            BACKBONE_LLM_MODEL="local",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            **{f"BACKBONE_REVIEW_{name.upper()}": str(value) for name, value in LIMITS.items()},
            **extra,
        )
        return env

    def start_worker(self, **extra: str) -> WorkerProcess:
        """A ``backbone worker review`` process, consuming once this returns."""
        worker = WorkerProcess(
            env=self.worker_env(**extra),
            cwd=self.root,
            log=self.root / f"worker-{len(self.workers)}.log",
            argv=[
                sys.executable,
                "-m",
                "backbone.cli",
                "worker",
                "review",
                "--concurrency=1",
                f"--hostname=review-{uuid.uuid4().hex[:8]}@%h",
            ],
            kind="review",
        )
        self.workers.append(worker)
        worker.wait_ready(timeout=60)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.terminate()
        for worker in self.workers:
            worker.reap(15)

    # -- the fake GitHub

    def comments(self, number: int = 1) -> list[dict[str, Any]]:
        """The pull request's issue comments, as GitHub lists them."""
        answer = self.github.get(f"/repos/octo-org/hello-world/issues/{number}/comments")
        answer.raise_for_status()
        comments: list[dict[str, Any]] = answer.json()
        return comments

    def inline(self, number: int = 1) -> list[dict[str, Any]]:
        """The pull request's inline review comments."""
        answer = self.github.get(f"/repos/octo-org/hello-world/pulls/{number}/comments")
        answer.raise_for_status()
        comments: list[dict[str, Any]] = answer.json()
        return comments

    def requests(self) -> list[dict[str, Any]]:
        """What the fake's GitHub endpoints received."""
        answer = self.github.get("/_fake/requests")
        answer.raise_for_status()
        body = answer.json()
        requests: list[dict[str, Any]] = body["requests"] if isinstance(body, dict) else body
        return requests

    def delivery(self, action: str = "opened", number: int = 1) -> bytes:
        """The fake's GitHub-shaped delivery body for the pull request."""
        answer = self.github.get(
            f"/_fake/pulls/octo-org/hello-world/{number}/webhook", params={"action": action}
        )
        answer.raise_for_status()
        return answer.content

    def push(self, files: dict[str, str | None], number: int = 1) -> str:
        """A new head with ``files`` changed; its SHA."""
        answer = self.github.post(
            f"/_fake/pulls/octo-org/hello-world/{number}/push", json={"files": files}
        )
        answer.raise_for_status()
        sha: str = answer.json()["head"]["sha"]
        return sha


@contextlib.contextmanager
def review_stack(
    *, github_url: str, database_url: str, redis_url: str, root: Path
) -> Iterator[ReviewStack]:
    """A stack whose workers are stopped at the end."""
    stack = ReviewStack(
        github_url=github_url, database_url=database_url, redis_url=redis_url, root=root
    )
    try:
        yield stack
    finally:
        stack.stop_workers()
        stack.github.close()


async def wait_review(
    api: httpx.AsyncClient, review_id: str, *, until: set[str] = FINAL, seconds: float = 60
) -> dict[str, Any]:
    """Poll ``GET /reviews/{id}`` until its status is in ``until``."""
    import asyncio

    deadline = time.monotonic() + seconds
    while True:
        answer = await api.get(
            f"/reviews/{review_id}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status_code == 200, answer.text
        review: dict[str, Any] = answer.json()
        if review["status"] in until:
            return review
        assert time.monotonic() < deadline, f"review not {until} in {seconds}s: {review}"
        await asyncio.sleep(0.1)
