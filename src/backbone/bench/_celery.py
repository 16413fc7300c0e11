"""The baseline of ``backbone bench reports``: bare Celery and a task that does nothing.

``celery -A backbone.bench._celery:app worker`` loads ``app``, made on first use
from ``BACKBONE_BENCH_BROKER``, ``BACKBONE_BENCH_QUEUE`` and ``BACKBONE_BENCH_COUNTER``.
The benchmark builds the same app with :func:`bare_celery` and calls ``.delay()``.

The delivery settings are the report processor's (acknowledged late, one message per
process, no results kept), so the baseline differs from our jobs only in what they add:
the API in front, the job table behind. The task's one act is ``INCR`` of a counter in
Redis, which the benchmark polls to see when every task has run: a single round trip,
cheaper than a result backend's store-and-publish per task.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import redis
from celery import Celery

__all__ = ["BROKER_ENV", "COUNTER_ENV", "NOOP", "QUEUE_ENV", "bare_celery"]

NOOP = "backbone.bench.noop"
BROKER_ENV = "BACKBONE_BENCH_BROKER"
QUEUE_ENV = "BACKBONE_BENCH_QUEUE"
COUNTER_ENV = "BACKBONE_BENCH_COUNTER"


def bare_celery(*, broker: str, queue: str, counter: str) -> Celery:
    """A Celery app with the no-op task :data:`NOOP`, which counts its runs in ``counter``."""
    celery = Celery("backbone.bench", broker=broker, set_as_current=False)
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=queue,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    # One client per worker process, made by its first task: after the fork, never shared.
    clients: dict[int, redis.Redis] = {}

    # Not shared: Celery would add a shared task to every app of the process.
    @celery.task(name=NOOP, shared=False)  # type: ignore[untyped-decorator]
    def noop() -> None:
        client = clients.get(os.getpid())
        if client is None:
            client = clients[os.getpid()] = redis.Redis.from_url(broker)
        client.incr(counter)

    return celery


@functools.cache
def _from_environment() -> Celery:
    return bare_celery(
        broker=os.environ.get(BROKER_ENV, "redis://127.0.0.1:6379/0"),
        queue=os.environ.get(QUEUE_ENV, "bench"),
        counter=os.environ.get(COUNTER_ENV, "bench-count"),
    )


def __getattr__(name: str) -> Any:
    if name == "app":
        return _from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
