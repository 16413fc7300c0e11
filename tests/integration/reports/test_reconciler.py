"""Jobs whose message is gone are published again; jobs that are fine are left alone."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import func, select

from backbone.jobs import BrokerUnavailable, JobState
from backbone.jobs._reconciler import Reconciler, reconcile
from backbone.jobs._runner import lock_key
from backbone.reports.config import ReportsSettings
from backbone.reports.kind import REPORTS
from tests.integration.reports._harness import (
    Reports,
    WorkerProcess,
    migrate_reports,
    reports_harness,
)

pytestmark = pytest.mark.integration

LONG_AGO = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
def reports(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Reports]:
    """A migrated job table, a queue, no worker unless a test starts one."""
    migrate_reports(database_url)
    stopping: list[WorkerProcess] = []
    with reports_harness(
        database_url=database_url, redis_url=redis_url, root=tmp_path, stopping=stopping
    ) as harness:
        yield harness
    for worker in stopping:
        worker.reap(timeout=30)


@pytest.fixture
def settings(reports: Reports) -> ReportsSettings:
    """A minute since the last publish makes a job a candidate."""
    return reports.make_settings(reconcile_after=60)


def add(reports: Reports, state: JobState, *, enqueued_at: datetime = LONG_AGO) -> uuid.UUID:
    """A committed row, published at ``enqueued_at``, with no message in the queue."""
    with reports.engine.begin() as conn:
        return reports.insert(conn, state=state.value, enqueued_at=enqueued_at)


def queued(reports: Reports) -> list[str]:
    """The job ids of the messages waiting in the queue."""
    return [
        message["headers"]["id"]
        for message in map(json.loads, reports.redis.lrange(reports.settings.queue, 0, -1))
    ]


def test_a_lost_pending_job_is_published_again_once(
    reports: Reports, settings: ReportsSettings
) -> None:
    """Pending, published an hour ago, queue empty: published again, and its clock reset."""
    job_id = add(reports, JobState.PENDING)
    assert reconcile(reports.engine, reports.celery, kind=REPORTS, settings=settings) == [job_id]
    assert queued(reports) == [str(job_id)]
    assert reports.row(job_id).enqueued_at > LONG_AGO + timedelta(minutes=59)
    assert reconcile(reports.engine, reports.celery, kind=REPORTS, settings=settings) == []
    assert queued(reports) == [str(job_id)]


def test_pending_jobs_wait_while_the_queue_is_not_empty(
    reports: Reports, settings: ReportsSettings
) -> None:
    """A backlog is not a loss: with messages waiting, old pending jobs are left alone."""
    waiting = reports.submit()
    old = add(reports, JobState.PENDING)
    assert reconcile(reports.engine, reports.celery, kind=REPORTS, settings=settings) == []
    assert queued(reports) == [str(waiting)]
    assert reports.row(old).enqueued_at == LONG_AGO


def test_an_in_progress_job_nobody_runs_is_published_again(
    reports: Reports, settings: ReportsSettings
) -> None:
    """In progress with its advisory lock free (its worker died): published again, even
    behind a backlog; one whose lock is held (running) is left alone."""
    reports.submit()  # a backlog: does not matter for jobs in progress
    orphan = add(reports, JobState.IN_PROGRESS)
    running = add(reports, JobState.IN_PROGRESS)
    with reports.engine.connect() as holder:
        holder.execute(_lock(running))
        holder.commit()
        assert reconcile(reports.engine, reports.celery, kind=REPORTS, settings=settings) == [
            orphan
        ]
    assert str(orphan) in queued(reports)
    assert str(running) not in queued(reports)


def test_recent_and_final_jobs_are_left_alone(reports: Reports, settings: ReportsSettings) -> None:
    """Published a moment ago, or complete / failed / cancelled: nothing to do."""
    add(reports, JobState.PENDING, enqueued_at=datetime.now(UTC))
    add(reports, JobState.IN_PROGRESS, enqueued_at=datetime.now(UTC))
    for state in (JobState.COMPLETE, JobState.FAILED, JobState.CANCELLED):
        add(reports, state)
    assert reconcile(reports.engine, reports.celery, kind=REPORTS, settings=settings) == []
    assert queued(reports) == []


def test_broker_down_changes_nothing(reports: Reports, settings: ReportsSettings) -> None:
    """A publish that fails rolls the sweep back: the job stays a candidate for the next one."""
    job_id = add(reports, JobState.PENDING)
    down = Celery("down", broker="redis://127.0.0.1:1/0", set_as_current=False)
    down.conf.broker_connection_timeout = 1
    down.conf.broker_transport_options = {"socket_connect_timeout": 1}
    broken = reports.make_settings(reconcile_after=60)
    with pytest.raises(Exception):  # noqa: B017, PT011 - kombu or redis, whichever notices first
        reconcile(reports.engine, down, kind=REPORTS, settings=broken)
    down.close()
    assert reports.row(job_id).enqueued_at == LONG_AGO
    assert reconcile(reports.engine, reports.celery, kind=REPORTS, settings=settings) == [job_id]


def test_a_worker_runs_a_job_whose_message_was_lost(reports: Reports) -> None:
    """The worker's own sweeps find a committed job with no message, and it completes."""
    job_id = add(reports, JobState.PENDING)
    reports.start_worker(reconcile_interval=0.5, reconcile_after=1)
    row = reports.wait_state(job_id, JobState.COMPLETE, timeout=30)
    assert row.attempts == 1
    assert reports.report(job_id).read_text() == reports.expected_report(job_id)
    assert "job_republished kind=reports job_id=" + str(job_id) in reports.workers[0].output()


def test_the_thread_sweeps_until_stopped_and_survives_failures() -> None:
    """Sweeps repeat every interval; one that raises is logged and the next one still runs."""
    sweeps = threading.Semaphore(0)
    calls: list[int] = []

    def sweep() -> None:
        calls.append(1)
        sweeps.release()
        if len(calls) == 1:
            raise BrokerUnavailable("down")

    reconciler = Reconciler(sweep, interval=0.01)
    reconciler.start()
    assert sweeps.acquire(timeout=5)
    assert sweeps.acquire(timeout=5)  # a second sweep, after the first one raised
    reconciler.stop()
    count = len(calls)
    time.sleep(0.1)
    assert len(calls) == count  # stopped: no more sweeps


def _lock(job_id: uuid.UUID) -> Any:
    return select(func.pg_advisory_lock(lock_key(job_id)))
