"""The peer a user would build from the seed: FastAPI + Celery with a Redis result backend.

The third row of ``backbone bench reports``. ``POST /generate-report`` calls ``.delay()``
and answers 202 with the task's id; ``GET /reports/{job_id}/status`` reads Celery's
``AsyncResult``; the worker writes the same report (``{reports_dir}/{job_id}.txt``: the
time, the title, the id) with a plain write, and Celery's Redis backend keeps the
result. No job table: the backend is the record (so any unknown id is ``PENDING``).
It has none of our guarantees: a job is acknowledged when it starts (a killed worker
loses it), a publish that fails is a 500, nothing sweeps for lost jobs.

``uvicorn backbone.bench._naive:api`` and ``celery -A backbone.bench._naive:celery
worker`` load it, configured by ``BACKBONE_BENCH_NAIVE_BROKER``, ``_QUEUE``, ``_DIR`` and
``_PREFIX`` (the results' keys start with it, so that the benchmark removes them after).
The endpoint is ``async`` and calls ``.delay()`` inline: the faster of the two ways
tutorials write it (a plain ``def`` would add a thread hop per request).
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.result import AsyncResult
from fastapi import FastAPI
from pydantic import BaseModel

from backbone.reports.files import report_text

__all__ = [
    "BROKER_ENV",
    "DIR_ENV",
    "PREFIX_ENV",
    "QUEUE_ENV",
    "TASK",
    "naive_api",
    "naive_celery",
    "result_key",
]

TASK = "backbone.bench.naive_report"
BROKER_ENV = "BACKBONE_BENCH_NAIVE_BROKER"
QUEUE_ENV = "BACKBONE_BENCH_NAIVE_QUEUE"
DIR_ENV = "BACKBONE_BENCH_NAIVE_DIR"
PREFIX_ENV = "BACKBONE_BENCH_NAIVE_PREFIX"


def result_key(prefix: str, task_id: str) -> str:
    """Where Celery's Redis backend keeps a task's result, under ``prefix``."""
    return f"{prefix}celery-task-meta-{task_id}"


class ReportBody(BaseModel):
    """What the client sends."""

    title: str = "Report"


def naive_celery(*, broker: str, queue: str, reports_dir: Path, prefix: str = "") -> Celery:
    """Celery with a Redis result backend, and the task that writes the report."""
    celery = Celery("backbone.bench.naive", broker=broker, backend=broker, set_as_current=False)
    celery.conf.update(task_default_queue=queue, broker_connection_retry_on_startup=True)
    if prefix:
        celery.conf.result_backend_transport_options = {"global_keyprefix": prefix}

    @celery.task(name=TASK, bind=True, shared=False)  # type: ignore[untyped-decorator]
    def generate_report(self: Task, title: str) -> str:
        path = reports_dir / f"{self.request.id}.txt"
        text = report_text(job_id=self.request.id, title=title, report_time=datetime.now(UTC))
        path.write_text(text, encoding="utf-8")
        return str(path)

    return celery


def naive_api(celery: Celery) -> FastAPI:
    """The API: submit with ``.delay()``, status from ``AsyncResult``."""
    api = FastAPI(title="naive report processor")
    task = celery.tasks[TASK]

    @api.post("/generate-report", status_code=202)
    async def generate_report(body: ReportBody | None = None) -> dict[str, str]:
        result = task.delay(body.title if body else "Report")
        return {"job_id": result.id}

    @api.get("/reports/{job_id}/status")
    async def report_status(job_id: str) -> dict[str, str]:
        return {"job_id": job_id, "status": AsyncResult(job_id, app=celery).state}

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return api


@functools.cache
def _celery_from_environment() -> Celery:
    reports_dir = Path(os.environ.get(DIR_ENV, "naive-reports"))
    reports_dir.mkdir(parents=True, exist_ok=True)
    return naive_celery(
        broker=os.environ.get(BROKER_ENV, "redis://127.0.0.1:6379/0"),
        queue=os.environ.get(QUEUE_ENV, "naive"),
        reports_dir=reports_dir,
        prefix=os.environ.get(PREFIX_ENV, ""),
    )


@functools.cache
def _api_from_environment() -> FastAPI:
    return naive_api(_celery_from_environment())


def __getattr__(name: str) -> Any:
    if name == "celery":
        return _celery_from_environment()
    if name == "api":
        return _api_from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
