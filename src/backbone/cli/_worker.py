"""``backbone worker [reports|assistant|review]``: a job worker (Celery, prefork) in the foreground.

Celery's own signal handling applies: SIGTERM or a first SIGINT is a warm shutdown
(running jobs finish, prefetched ones go back to the queue), a second SIGINT or
SIGQUIT a cold one (running jobs are delivered again later: they are acknowledged
only when done).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from backbone.core.logging import configure_logging
from backbone.jobs import JobQueueSettings

__all__ = ["WORKERS", "run_worker", "worker_argv"]

WORKERS: dict[str, tuple[str, str]] = {
    "reports": ("backbone.reports.config", "backbone.reports.worker"),
    "assistant": ("backbone.assistant.config", "backbone.assistant.worker"),
    "review": ("backbone.review.config", "backbone.review.worker"),
}
"""Each job kind's settings module (its ``get_settings``) and worker module (its ``app``)."""


def _load(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def worker_argv(
    *, settings: JobQueueSettings, concurrency: int, hostname: str, events: bool = False
) -> list[str]:
    """The ``celery worker`` arguments: one queue, prefork, one job per process at a time.

    ``-O fair`` hands a job only to a process that is free; gossip, mingle and
    heartbeat (worker-to-worker chatter that the job table makes unnecessary) are off,
    which makes start-up take about a second instead of several. Task events (what
    Flower's task views show) cost a broker message per state change: off unless asked.
    """
    argv = [
        "worker",
        f"--queues={settings.queue}",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--prefetch-multiplier=1",
        "--optimization=fair",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname={hostname}",
        f"--loglevel={settings.log_level}",
    ]
    return [*argv, "--task-events"] if events else argv


def _settings(kind: str, err: Console) -> JobQueueSettings | None:
    get_settings: Callable[[], JobQueueSettings] = _load(WORKERS[kind][0], "get_settings")
    try:
        settings = get_settings()
    except ValidationError as exc:
        err.print(Text(f"backbone worker: invalid settings: {exc}", style="bold red"))
        return None
    missing = [
        name
        for name, value in (("REDIS_URL", settings.broker), ("DATABASE_URL", settings.database_url))
        if not value
    ]
    if missing:
        err.print(Text(f"backbone worker: set {' and '.join(missing)} first", style="bold red"))
        return None
    return settings


def run_worker(
    *, concurrency: int, hostname: str, events: bool, err: Console, kind: str = "reports"
) -> int:
    """Run the ``kind`` worker until it is shut down; the exit code."""
    settings = _settings(kind, err)
    if settings is None:
        return 1
    configure_logging(level=settings.log_level, fmt=settings.log_format, file=settings.log_file)
    app = _load(WORKERS[kind][1], "app")

    argv = worker_argv(settings=settings, concurrency=concurrency, hostname=hostname, events=events)
    return int(app.start(argv=argv) or 0)
