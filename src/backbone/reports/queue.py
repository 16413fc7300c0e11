"""The Celery side shared by the API (which enqueues) and the worker (which runs jobs).

One Celery app per process, configured from :class:`ReportsSettings` for at-least-once
delivery: a job is acknowledged only when it has finished (``acks_late``), given back
to the queue when its worker process dies (``reject_on_worker_lost``), fetched one at
a time (prefetch 1), and delivered again by Redis if no one acknowledges it within the
visibility timeout, which is set well above a job's hard time limit. Celery keeps no
results: the job table is the record.
"""

from __future__ import annotations

import uuid

from celery import Celery

from backbone.reports.config import ReportsSettings

__all__ = ["TASK_NAME", "BrokerUnavailable", "create_celery", "enqueue"]

TASK_NAME = "backbone.reports.generate_report"


class BrokerUnavailable(Exception):
    """The job could not be handed to the broker."""


def create_celery(settings: ReportsSettings) -> Celery:
    """A Celery app for the report jobs (the broker must be configured)."""
    if not settings.broker:
        raise ValueError("the report processor needs a broker: set REDIS_URL")
    app = Celery("backbone.reports", broker=settings.broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.queue,
        task_ignore_result=True,
        task_soft_time_limit=settings.soft_time_limit,
        task_time_limit=settings.time_limit,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2.0,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            "socket_connect_timeout": 2.0,
            "socket_timeout": 5.0,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    return app


def enqueue(app: Celery, job_id: uuid.UUID, *, queue: str) -> None:
    """Publish the job (blocking: call it from a thread); ``BrokerUnavailable`` on failure.

    The Celery task id is the job id, so the broker's message and the table's row name
    the same job. No retry here: the caller answers 503 and the client retries.
    """
    try:
        app.send_task(TASK_NAME, args=[str(job_id)], task_id=str(job_id), queue=queue, retry=False)
    except Exception as exc:  # kombu raises OperationalError, redis its own errors
        raise BrokerUnavailable(f"could not enqueue job {job_id}: {exc!r}") from exc
