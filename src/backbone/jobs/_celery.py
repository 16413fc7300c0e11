"""The Celery side of a job queue: the app, publishing a job, revoking one.

One Celery app per process and job kind, configured from :class:`JobQueueSettings` for
at-least-once delivery: a job is acknowledged only when it has finished (``acks_late``),
given back to the queue when its worker process dies (``reject_on_worker_lost``),
fetched one at a time (prefetch 1), and delivered again by Redis if no one acknowledges
it within the visibility timeout, which the settings keep above a job's hard time
limit. Celery keeps no results: the job table is the record.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import urlsplit

from celery import Celery

from backbone.jobs._errors import BrokerUnavailable
from backbone.jobs._settings import JobQueueSettings
from backbone.jobs._transport import Transport

__all__ = ["BrokerUnavailable", "create_celery", "enqueue", "revoke", "tune_for_workers"]

logger = logging.getLogger(__name__)


def create_celery(settings: JobQueueSettings, *, main: str) -> Celery:
    """A Celery app named ``main`` for a job kind's queue (the broker must be configured)."""
    if not settings.broker:
        raise ValueError("a job queue needs a broker: set REDIS_URL")
    app = Celery(main, broker=settings.broker, set_as_current=False)
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
    if urlsplit(settings.broker).scheme == "redis":
        # The same transport, without a client object built per command (rediss:// and
        # other brokers keep kombu's own).
        app.conf.broker_transport = Transport
    return app


def tune_for_workers(celery: Celery, settings: JobQueueSettings) -> Celery:
    """What only consumers need on top of :func:`create_celery`: prompt recovery of lost jobs.

    Redis gives an unacknowledged message (its worker died) back to the queue once it
    is older than the visibility timeout, but only when a worker sweeps for such
    messages: by default every 100 s or so. Sweep a few times per visibility timeout.
    """
    sweep = max(1, int(settings.visibility_timeout / 4))
    celery.conf.broker_transport_options = {
        **celery.conf.broker_transport_options,
        "unacked_restore_interval": sweep,
        "unacked_restore_throttle": 1,
        # A worker killed mid-sweep must not block everyone's sweeps for the default 300 s.
        "unacked_mutex_expire": max(10, 2 * sweep),
    }
    # After a broker reconnection, let running jobs finish rather than kill them: the
    # message comes back after the visibility timeout and finds the job complete.
    celery.conf.worker_cancel_long_running_tasks_on_connection_loss = False
    # Our logging writes to whatever sys.stderr is: Celery's redirection of stderr into
    # logging would swallow every record.
    celery.conf.worker_redirect_stdouts = False
    return celery


def enqueue(celery: Celery, task: str, job_id: uuid.UUID, *, queue: str) -> None:
    """Publish the job (blocking: call it from a thread); ``BrokerUnavailable`` on failure.

    The Celery task id is the job id, so the broker's message and the table's row name
    the same job. No retry here: the caller answers 503 and the client retries.
    """
    try:
        celery.send_task(task, args=[str(job_id)], task_id=str(job_id), queue=queue, retry=False)
    except Exception as exc:  # kombu raises OperationalError, redis its own errors
        raise BrokerUnavailable(f"could not enqueue job {job_id}: {exc!r}") from exc


def revoke(celery: Celery, job_id: uuid.UUID) -> bool:
    """Ask the workers not to run the job's task (blocking; best effort): True if sent.

    Without ``terminate``: a worker already running the job is not signalled (that
    could hand a late-acknowledged task back to the queue); it sees the row cancelled.
    """
    try:
        celery.control.revoke(str(job_id))
    except Exception as exc:  # kombu's OperationalError, redis's errors: logged, not fatal
        logger.warning("job_revoke_failed job_id=%s error=%r", job_id, exc)
        return False
    return True
