"""The report worker as real processes: real Redis, real PostgreSQL, SIGKILL mid-job.

Each test starts ``python -m backbone.cli worker`` with short limits (job 2 s, soft 4,
hard 5, visibility 6) and submits jobs exactly as the API does.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from backbone.jobs import JobState
from backbone.reports.kind import TASK_NAME
from backbone.reports.models import REPORT_JOBS as JOBS
from tests.integration.reports._harness import (
    Reports,
    WorkerProcess,
    migrate_reports,
    reports_harness,
    wait_for,
)

pytestmark = pytest.mark.integration

logger = logging.getLogger(__name__)


@pytest.fixture(scope="module")
def stopping() -> Iterator[list[WorkerProcess]]:
    """Workers told to stop by this module's tests, reaped together at its end (in parallel)."""
    workers: list[WorkerProcess] = []
    yield workers
    codes = [worker.reap(timeout=30) for worker in workers if not worker.killed]
    assert set(codes) <= {0}, f"a worker did not shut down cleanly: exit codes {codes}"


@pytest.fixture
def reports(
    database_url: str, redis_url: str, tmp_path: Path, stopping: list[WorkerProcess]
) -> Iterator[Reports]:
    """A migrated job table, a broker, a reports directory; workers told to stop afterwards."""
    migrate_reports(database_url)
    with reports_harness(
        database_url=database_url, redis_url=redis_url, root=tmp_path, stopping=stopping
    ) as harness:
        yield harness


def assert_report_correct(reports: Reports, job_id: object) -> None:
    """The job is complete and its file holds exactly the report its row describes."""
    row = reports.row(job_id)  # type: ignore[arg-type]
    assert row.state == JobState.COMPLETE
    assert reports.report(row.id).read_text(encoding="utf-8") == reports.expected_report(row.id)


def test_job_runs_to_complete(reports: Reports) -> None:
    """A submitted job goes pending → in progress (with progress) → complete, with its file."""
    reports.start_worker()
    job_id = reports.submit(title="Quarterly numbers")
    seen: set[int] = set()

    def complete() -> bool:
        row = reports.row(job_id)
        if row.state == JobState.IN_PROGRESS:
            seen.add(row.progress)
        return row.state == JobState.COMPLETE

    wait_for(complete, timeout=20, what="the job to complete")
    row = reports.row(job_id)
    assert (row.progress, row.attempts, row.error) == (100, 1, None)
    assert row.created_at <= row.started_at <= row.report_time <= row.finished_at
    assert (row.finished_at - row.started_at).total_seconds() >= 2.0
    assert 50 in seen, f"progress seen while running: {sorted(seen)}"
    assert_report_correct(reports, job_id)
    text = reports.report(job_id).read_text(encoding="utf-8")
    assert "Quarterly numbers" in text
    assert text.startswith(row.report_time.isoformat())
    assert sorted(p.name for p in reports.reports_dir.iterdir()) == [f"{job_id}.txt"]
    wait_for(reports.queue_is_empty, timeout=5, what="the message to be acknowledged")


def test_sigkill_mid_job_is_delivered_again(reports: Reports) -> None:
    """SIGKILL the worker's whole group mid-job; a new worker runs the job again to complete."""
    first = reports.start_worker()
    t0 = time.monotonic()
    job_id = reports.submit()
    running = reports.wait_state(job_id, JobState.IN_PROGRESS)
    started_at = running.started_at
    wait_for(lambda: reports.row(job_id).progress >= 50, timeout=5, what="the job half done")
    first.kill()
    killed = time.monotonic() - t0
    after_kill = reports.row(job_id)
    assert (after_kill.state, after_kill.attempts) == (JobState.IN_PROGRESS, 1)
    assert not reports.report(job_id).exists()

    second = reports.start_worker()
    ready = time.monotonic() - t0
    second.wait_log(f"job_started kind=reports job_id={job_id} attempt=2", timeout=30)
    redelivered = time.monotonic() - t0
    row = reports.wait_state(job_id, JobState.COMPLETE, timeout=15)
    done = time.monotonic() - t0
    logger.info(
        "sigkill timeline: killed %.2f s, new worker ready %.2f s, redelivered %.2f s, "
        "complete %.2f s",
        killed,
        ready,
        redelivered,
        done,
    )
    assert row.attempts == 2
    assert row.started_at == started_at
    assert_report_correct(reports, job_id)
    assert [p.name for p in reports.reports_dir.iterdir()] == [f"{job_id}.txt"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_shutdown_signal_lets_the_running_job_finish(reports: Reports, signum: int) -> None:
    """SIGTERM or SIGINT mid-job is a warm shutdown: the job completes, the worker exits 0."""
    worker = reports.start_worker()
    job_id = reports.submit()
    reports.wait_state(job_id, JobState.IN_PROGRESS)
    worker.terminate(signum)
    assert worker.reap(timeout=20) == 0
    row = reports.row(job_id)
    assert (row.state, row.attempts) == (JobState.COMPLETE, 1)
    assert_report_correct(reports, job_id)
    assert reports.queue_is_empty()


def test_same_job_enqueued_twice_runs_once(reports: Reports) -> None:
    """The same job published twice (and again once done) leaves one identical file, one run."""
    worker = reports.start_worker()
    job_id = reports.submit()
    reports.publish(job_id)
    row = reports.wait_state(job_id, JobState.COMPLETE)
    output = worker.wait_log(f"job_busy kind=reports job_id={job_id}")
    assert output.count(f"job_started kind=reports job_id={job_id}") == 1
    first = reports.report(job_id).read_bytes()
    mtime = reports.report(job_id).stat().st_mtime_ns

    reports.publish(job_id)
    worker.wait_log(f"job_final kind=reports job_id={job_id} state=complete")
    assert reports.report(job_id).read_bytes() == first
    assert reports.report(job_id).stat().st_mtime_ns == mtime
    assert reports.row(job_id).attempts == row.attempts == 1
    assert_report_correct(reports, job_id)
    wait_for(reports.queue_is_empty, timeout=5, what="both duplicates to be acknowledged")


def test_two_hundred_concurrent_jobs_all_complete(reports: Reports) -> None:
    """200 jobs submitted concurrently: 200 distinct jobs, all complete, none lost."""
    reports.start_worker(job_seconds=0)
    with ThreadPoolExecutor(max_workers=20) as pool:
        job_ids = list(pool.map(lambda i: reports.submit(title=f"job {i}"), range(200)))
    assert len(set(job_ids)) == 200

    def all_complete() -> bool:
        return sum(row.state == JobState.COMPLETE for row in reports.rows()) == 200

    wait_for(all_complete, timeout=90, what="200 jobs to complete")
    rows = reports.rows()
    assert {row.id for row in rows} == set(job_ids)
    assert {row.attempts for row in rows} == {1}
    assert sorted(p.name for p in reports.reports_dir.iterdir()) == sorted(
        f"{job_id}.txt" for job_id in job_ids
    )
    for row in rows[:20]:
        assert_report_correct(reports, row.id)
    wait_for(reports.queue_is_empty, timeout=5, what="every message to be acknowledged")


def test_cancelled_job_is_never_run(reports: Reports) -> None:
    """A job cancelled before a worker gets to it is acknowledged and never run."""
    worker = reports.start_worker()
    job_id = reports.submit(state=JobState.CANCELLED.value)
    worker.wait_log(f"job_final kind=reports job_id={job_id} state=cancelled")
    row = reports.row(job_id)
    assert (row.state, row.attempts, row.started_at) == (JobState.CANCELLED, 0, None)
    assert not reports.report(job_id).exists()
    wait_for(reports.queue_is_empty, timeout=5, what="the message to be acknowledged")


def test_cancel_stops_a_running_job(reports: Reports) -> None:
    """Cancelling a running job stops it within a step, without a report or a state change."""
    worker = reports.start_worker(
        job_seconds=3, soft_time_limit=5, time_limit=6, visibility_timeout=8
    )
    job_id = reports.submit()
    reports.wait_state(job_id, JobState.IN_PROGRESS)
    reports.set_state(job_id, JobState.CANCELLED)
    worker.wait_log(f"job_cancelled_while_running kind=reports job_id={job_id}", timeout=5)
    row = reports.row(job_id)
    assert (row.state, row.attempts, row.report_time) == (JobState.CANCELLED, 1, None)
    assert row.progress < 100
    assert not reports.report(job_id).exists()
    wait_for(reports.queue_is_empty, timeout=5, what="the message to be acknowledged")


def test_row_committed_late_still_runs(reports: Reports) -> None:
    """A message that arrives before its row is committed is retried and the job runs."""
    worker = reports.start_worker()
    with reports.engine.begin() as conn:
        job_id = reports.insert(conn)
        reports.publish(job_id)
        worker.wait_log(f"job_not_committed kind=reports job_id={job_id} retry=1")
    row = reports.wait_state(job_id, JobState.COMPLETE)
    assert row.attempts == 1
    assert_report_correct(reports, job_id)


def test_row_never_committed_is_dropped(reports: Reports) -> None:
    """A message whose row never commits is retried a bounded number of times, then dropped."""
    worker = reports.start_worker()
    with reports.engine.connect() as conn:
        job_id = reports.insert(conn)
        reports.publish(job_id)
        output = worker.wait_log(f"job_dropped kind=reports job_id={job_id}")
        conn.rollback()
    assert output.count(f"job_not_committed kind=reports job_id={job_id}") == 3
    assert "no committed row after 3 retries" in output
    assert not reports.report(job_id).exists()
    assert reports.rows() == []
    wait_for(reports.queue_is_empty, timeout=5, what="the message to be dropped")


def test_malformed_job_id_is_dropped(reports: Reports) -> None:
    """A message whose job id is not a UUID is acknowledged and dropped, with a warning."""
    worker = reports.start_worker()
    reports.celery.send_task(TASK_NAME, args=["../etc/passwd"], queue=reports.settings.queue)
    worker.wait_log("job_dropped kind=reports job_id='../etc/passwd' reason=not a UUID")
    wait_for(reports.queue_is_empty, timeout=5, what="the message to be dropped")
    assert not reports.reports_dir.exists()


def test_soft_time_limit_fails_the_job(reports: Reports) -> None:
    """A job over its soft time limit is stopped and failed with a short reason, no report."""
    reports.start_worker()
    with reports.engine.begin() as conn:
        job_id = reports.insert(conn)
    reports.publish(job_id, soft_time_limit=0.5)
    row = reports.wait_state(job_id, JobState.FAILED)
    assert row.error == "soft time limit exceeded: the job was stopped"
    assert row.finished_at is not None
    assert not reports.report(job_id).exists()


def test_hard_time_limit_kill_is_delivered_again(reports: Reports) -> None:
    """A job killed at its hard time limit is not left in progress: it is delivered again."""
    worker = reports.start_worker()
    with reports.engine.begin() as conn:
        job_id = reports.insert(conn)
    reports.publish(job_id, soft_time_limit=1, time_limit=2)
    reports.wait_state(job_id, JobState.IN_PROGRESS)
    # Hold the row: the job (and its attempt to record the soft limit) blocks on PostgreSQL,
    # where the soft limit cannot stop it, until the hard limit kills its process.
    with reports.engine.connect() as blocker:
        blocker.execute(select(JOBS.c.id).where(JOBS.c.id == job_id).with_for_update())
        worker.wait_log(f"Hard time limit (2s) exceeded for {TASK_NAME}[{job_id}]", timeout=10)
        # Celery logs the hard limit before it kills the process: release the row only once
        # the process is dead, or its pending write of the failure could still commit.
        worker.wait_log("exited with 'signal 9 (SIGKILL)'", timeout=10)
        blocker.rollback()
    # The new delivery may find the killed one's session still holding the job: it retries.
    row = reports.wait_state(job_id, JobState.COMPLETE, timeout=40)
    assert (row.attempts, row.error) == (2, None)
    assert f"job_hard_time_limit kind=reports job_id={job_id}" in worker.output()
    assert_report_correct(reports, job_id)
    wait_for(reports.queue_is_empty, timeout=5, what="every delivery to be acknowledged")


def test_database_down_job_waits_for_it(reports: Reports) -> None:
    """With PostgreSQL unreachable the job is retried, not lost; a healthy worker completes it."""
    broken = reports.start_worker(database_url="postgresql://postgres@127.0.0.1:1/nowhere")
    job_id = reports.submit()
    broken.wait_log(f"job_database_unavailable kind=reports job_id={job_id} retry=1")
    broken.terminate()
    assert broken.reap(timeout=20) == 0
    reports.start_worker()
    row = reports.wait_state(job_id, JobState.COMPLETE, timeout=30)
    assert row.attempts == 1
    assert_report_correct(reports, job_id)
