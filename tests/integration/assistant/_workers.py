"""Real assistant workers for the integration tests: ``python -m backbone.cli worker
assistant`` processes sharing one module's database, broker and data directory with the
API in-process, a fake OpenAI-compatible server whose script each test sets, and helpers
to wait on a task through the API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from backbone.assistant.config import AssistantSettings
from backbone.assistant.migrations import VERSIONS
from backbone.core.db import migrate
from tests import _services
from tests._fake_openai import FakeOpenAI, Reply
from tests.integration.assistant.conftest import FAST, SECRET, bearer
from tests.integration.reports._harness import WorkerProcess

__all__ = [
    "KEY",
    "FakeGateway",
    "ScriptedOpenAI",
    "Stack",
    "assistant_stack",
    "model_env",
    "order",
    "wait_task",
]

KEY = "sk-worker-test-0123456789abcdef"
"""The API key the model workers send (and that must never show in a task's error)."""

_CREWAI_ENV = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_TESTING": "true",
}
_FINAL = {"complete", "failed", "cancelled"}


class ScriptedOpenAI(FakeOpenAI):
    """The fake model server, whose script (and record) a test replaces with its own."""

    def script(self, replies: Iterable[Reply]) -> None:
        """Answer ``replies`` from now on (the last one repeats); forget earlier requests."""
        with self._lock:
            self._replies = list(replies)
            self.requests.clear()


class Stack:
    """One module's database, Redis db, data directory and worker processes."""

    def __init__(self, *, database_url: str, redis_url: str, root: Path) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.root = root
        self.data_dir = root / "data"
        self.workers: list[WorkerProcess] = []

    def settings(self, **overrides: Any) -> AssistantSettings:
        """The API's settings for this stack (the worker reads the same from its env)."""
        values = {
            **FAST,
            "queue": "assistant-test",
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "data_dir": self.data_dir,
        }
        return AssistantSettings(_env_file=None, **{**values, **overrides})  # type: ignore[call-arg]

    def worker_env(self, **extra: str) -> dict[str, str]:
        """A worker's environment: this stack's stores and queue, ``extra`` on top."""
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("BACKBONE_", "LOG_", "CREWAI_", "OPENAI_"))
        }
        env.update(
            _CREWAI_ENV,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            ENVIRONMENT="test",
            BACKBONE_ASSISTANT_JWT_SECRET=SECRET,
            BACKBONE_ASSISTANT_QUEUE="assistant-test",
            BACKBONE_ASSISTANT_DATA_DIR=str(self.data_dir),
            LOG_LEVEL="INFO",
            LOG_FORMAT="console",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def start_worker(self, *, wait: bool = True, **extra: str) -> WorkerProcess:
        """Start a worker (one pool process) with ``extra`` env; wait until it is ready
        (unless told not to: then its ``wait_ready`` is the caller's)."""
        index = len(self.workers)
        argv = [sys.executable, "-m", "backbone.cli", "worker", "assistant", "--concurrency=1"]
        argv.append(f"--hostname=assistant-{index}-{uuid.uuid4().hex[:8]}@%h")
        worker = WorkerProcess(
            env=self.worker_env(**extra),
            cwd=self.root,
            log=self.root / f"worker-{index}.log",
            argv=argv,
            kind="assistant",
        )
        self.workers.append(worker)
        if wait:
            worker.wait_ready(timeout=60)
        return worker

    def logs(self) -> str:
        """The end of every worker's log, for a failure's message."""
        return "\n".join(
            f"--- worker {i}:\n{worker.output()[-6000:]}" for i, worker in enumerate(self.workers)
        )


def model_env(server: FakeOpenAI, **extra: str) -> dict[str, str]:
    """The ``BACKBONE_LLM_*`` variables of a worker whose model is the fake server."""
    return {
        "BACKBONE_LLM_MODEL": "openai/fake-model",
        "BACKBONE_LLM_BASE_URL": server.url,
        "BACKBONE_LLM_API_KEY": KEY,
        "BACKBONE_LLM_TIMEOUT": "10",
        **extra,
    }


@contextlib.contextmanager
def assistant_stack(
    *, postgres_server_url: str, redis: _services.RedisDatabases, root: Path
) -> Iterator[Stack]:
    """A migrated database and a Redis db for a module; its workers stopped afterwards."""
    with (
        _services.fresh_database(postgres_server_url) as database_url,
        redis.acquire() as redis_url,
    ):
        migrate(database_url, locations=[VERSIONS])
        stack = Stack(database_url=database_url, redis_url=redis_url, root=root)
        try:
            yield stack
        finally:
            for worker in stack.workers:
                worker.terminate()
            codes = [worker.reap(timeout=30) for worker in stack.workers if not worker.killed]
            assert set(codes) <= {0}, f"a worker did not shut down cleanly: {codes}"


async def wait_task(
    api: httpx.AsyncClient,
    token: str,
    task_id: str,
    *,
    stack: Stack,
    until: Mapping[str, Any] | None = None,
    seconds: float = 60.0,
) -> dict[str, Any]:
    """Poll the task until it is final (or matches every item of ``until``); its view.
    Fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        response = await api.get(f"/v1/tasks/{task_id}", headers=bearer(token))
        assert response.status_code == 200, response.text
        task: dict[str, Any] = response.json()
        if until is None and task["status"] in _FINAL:
            return task
        if until is not None and all(_matches(task, k, v) for k, v in until.items()):
            return task
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out waiting for task {task_id} ({until or 'final'}): {task}\n{stack.logs()}"
            )
        await asyncio.sleep(0.05)


def _matches(task: Mapping[str, Any], key: str, value: Any) -> bool:
    if key == "min_steps":
        return len(task["steps"]) >= value
    return bool(task.get(key) == value)


def order(order_id: int) -> dict[str, Any]:
    """One order as the Order Service's contract (``Order``) describes it."""
    quantity = order_id % 3 + 1
    return {
        "order_id": order_id,
        "user_id": 100 + order_id % 7,
        "items": [{"sku": f"SKU-{order_id % 5}", "quantity": quantity, "unit_price_cents": 1250}],
        "status": ("pending", "paid", "shipped")[order_id % 3],
        "total_cents": quantity * 1250,
        "currency": "USD",
        "created_at": f"2026-01-{order_id % 28 + 1:02d}T10:00:00Z",
        "updated_at": f"2026-02-{order_id % 28 + 1:02d}T10:00:00Z",
    }


class FakeGateway:
    """``GET /orders`` pages (``OrderPage`` of contracts/openapi/orders.yaml) of ``orders``
    on a free loopback port; every request's path and headers are recorded."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.orders = orders
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The gateway's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeGateway:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def page(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """The page a query asks for, with the relative URL of the next one."""
        limit = int(query.get("limit", ["20"])[0])
        offset = int(query.get("offset", ["0"])[0])
        items = self.orders[offset : offset + limit]
        more = offset + limit < len(self.orders)
        following = f"/orders?limit={limit}&offset={offset + limit}" if more else None
        return {
            "items": items,
            "total": len(self.orders),
            "limit": limit,
            "offset": offset,
            "next": following,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read ``requests`` instead."""

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                gateway.requests.append(
                    (self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                status, body = 404, {"title": "Not Found", "status": 404}
                if parts.path == "/orders":
                    status, body = 200, gateway.page(parse_qs(parts.query))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
