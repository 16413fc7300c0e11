"""The report task's body (the jobs layer's runner with the report handler) in-process,
against a real PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import OperationalError

from backbone.core.db import sync_database_url
from backbone.jobs import JobContext, JobState, Outcome
from backbone.jobs._runner import is_database_error, lock_key
from backbone.reports import handler
from backbone.reports.config import ReportsSettings
from backbone.reports.handler import ReportHandler
from tests.integration.reports._harness import (
    Reports,
    database_for,
    migrate_reports,
    run_job,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def reports(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Reports]:
    """A migrated job table and a reports directory (no worker processes)."""
    migrate_reports(database_url)
    harness = Reports(database_url=database_url, redis_url=redis_url, root=tmp_path)
    yield harness
    harness.close()


@pytest.fixture
def instant(reports: Reports) -> ReportsSettings:
    """Settings whose jobs take no time."""
    return reports.make_settings(job_seconds=0)


def add_job(reports: Reports, **values: Any) -> uuid.UUID:
    """Insert and commit a job row (nothing is published)."""
    with reports.engine.begin() as conn:
        return reports.insert(conn, **values)


def test_running_twice_leaves_one_identical_file(
    reports: Reports, instant: ReportsSettings
) -> None:
    """The task body run twice: complete, then nothing to do; one file, same bytes, untouched."""
    job_id = add_job(reports, title="Twice")
    assert run_job(reports.engine, instant, job_id) is Outcome.COMPLETE
    path = reports.report(job_id)
    first, mtime = path.read_bytes(), path.stat().st_mtime_ns
    assert run_job(reports.engine, instant, job_id) is Outcome.FINAL
    assert path.read_bytes() == first
    assert path.stat().st_mtime_ns == mtime
    assert first.decode() == reports.expected_report(job_id)
    assert [p.name for p in reports.reports_dir.iterdir()] == [path.name]
    row = reports.row(job_id)
    assert (row.state, row.progress, row.attempts) == (JobState.COMPLETE, 100, 1)


def test_a_zero_second_job_is_two_statements(
    reports: Reports, instant: ReportsSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Round trips are what a job costs under load: claim (lock, row, start) is one
    statement, complete (and unlock) another, each its own transaction; the lock is not
    left held, and the report is written before the job is marked complete."""
    job_id = add_job(reports)
    events: list[str] = []
    database = database_for(reports.engine)
    conn = database.connection()
    execute, write = conn.execute, ReportHandler._write

    def recording_execute(query: Any, *args: Any, **kwargs: Any) -> Any:
        events.append(bytes(query).decode().split(None, 1)[0].upper())
        return execute(query, *args, **kwargs)

    def recording_write(self: ReportHandler, *args: Any) -> None:
        events.append("write")
        write(self, *args)

    monkeypatch.setattr(conn, "execute", recording_execute)
    monkeypatch.setattr(ReportHandler, "_write", recording_write)
    assert run_job(reports.engine, instant, job_id) is Outcome.COMPLETE
    assert events == ["WITH", "write", "UPDATE"]
    assert conn.autocommit
    with reports.engine.connect() as other:  # another session can take the job's lock
        key = lock_key(job_id)
        assert other.execute(select(func.pg_try_advisory_lock(key))).scalar_one()
        other.execute(select(func.pg_advisory_unlock(key)))


def test_lost_report_of_a_complete_job_is_written_again(
    reports: Reports, instant: ReportsSettings
) -> None:
    """A complete job whose file is gone gets it back, byte for byte, from its report_time."""
    job_id = add_job(reports)
    run_job(reports.engine, instant, job_id)
    original = reports.report(job_id).read_bytes()
    reports.report(job_id).unlink()
    assert run_job(reports.engine, instant, job_id) is Outcome.FINAL
    assert reports.report(job_id).read_bytes() == original
    assert reports.row(job_id).attempts == 1


@pytest.mark.parametrize("state", [JobState.CANCELLED, JobState.FAILED])
def test_final_job_is_not_run(reports: Reports, instant: ReportsSettings, state: JobState) -> None:
    """A cancelled or failed job is left as it is: no attempt, no file."""
    job_id = add_job(reports, state=state.value)
    assert run_job(reports.engine, instant, job_id) is Outcome.FINAL
    row = reports.row(job_id)
    assert (row.state, row.attempts, row.started_at) == (state, 0, None)
    assert not reports.report(job_id).exists()


def test_missing_row_does_nothing(reports: Reports, instant: ReportsSettings) -> None:
    """A job id without a committed row is reported missing and leaves no trace."""
    job_id = uuid.uuid4()
    assert run_job(reports.engine, instant, job_id) is Outcome.MISSING
    assert reports.rows() == []
    assert not reports.report(job_id).exists()


def test_attempts_used_up_fail_the_job(reports: Reports, instant: ReportsSettings) -> None:
    """A job already tried max_attempts times (its workers lost) fails with the reason why."""
    job_id = add_job(reports, state=JobState.IN_PROGRESS.value, attempts=instant.max_attempts)
    assert run_job(reports.engine, instant, job_id) is Outcome.FAILED
    row = reports.row(job_id)
    assert row.state == JobState.FAILED
    assert row.attempts == instant.max_attempts
    assert row.error.startswith(f"gave up after {instant.max_attempts} attempts")
    assert row.finished_at is not None
    assert not reports.report(job_id).exists()


def test_an_exception_fails_the_job_with_a_short_reason(reports: Reports, tmp_path: Path) -> None:
    """A job that raises is failed with one line (type and message), no traceback; lock freed."""
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the reports directory should be")
    settings = reports.make_settings(job_seconds=0, reports_dir=blocked)
    job_id = add_job(reports)
    assert run_job(reports.engine, settings, job_id) is Outcome.FAILED
    row = reports.row(job_id)
    assert row.state == JobState.FAILED
    assert row.error.startswith(("FileExistsError: ", "NotADirectoryError: "))
    assert "\n" not in row.error
    assert "Traceback" not in row.error
    assert run_job(reports.engine, settings, job_id) is Outcome.FINAL


def test_soft_time_limit_fails_the_job(
    reports: Reports, instant: ReportsSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The soft time limit, raised inside the work, fails the job without a report."""

    def over_time(seconds: float) -> None:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(handler.time, "sleep", over_time)
    settings = reports.make_settings(job_seconds=1)
    job_id = add_job(reports)
    assert run_job(reports.engine, settings, job_id) is Outcome.FAILED
    row = reports.row(job_id)
    assert (row.state, row.error) == (
        JobState.FAILED,
        "soft time limit exceeded: the job was stopped",
    )
    assert not reports.report(job_id).exists()


def test_cancelled_after_the_work_writes_nothing(
    reports: Reports, instant: ReportsSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancel that lands between the last step and the report stops the job: no file."""
    job_id = add_job(reports)
    work = ReportHandler.run

    def work_then_cancel(self: ReportHandler, job: JobContext) -> None:
        work(self, job)
        reports.set_state(job_id, JobState.CANCELLED)

    monkeypatch.setattr(ReportHandler, "run", work_then_cancel)
    assert run_job(reports.engine, instant, job_id) is Outcome.CANCELLED
    row = reports.row(job_id)
    assert (row.state, row.report_time) == (JobState.CANCELLED, None)
    assert not reports.report(job_id).exists()


def test_second_delivery_while_running_is_busy(reports: Reports) -> None:
    """A delivery of a job another delivery is running does nothing (BUSY)."""
    settings = reports.make_settings(job_seconds=1)
    job_id = add_job(reports)
    outcomes: list[Outcome] = []
    first = threading.Thread(
        target=lambda: outcomes.append(run_job(reports.engine, settings, job_id))
    )
    first.start()
    try:
        reports.wait_state(job_id, JobState.IN_PROGRESS, timeout=5)
        assert run_job(reports.engine, settings, job_id) is Outcome.BUSY
    finally:
        first.join(timeout=10)
    assert outcomes == [Outcome.COMPLETE]
    assert reports.row(job_id).attempts == 1
    assert run_job(reports.engine, settings, job_id) is Outcome.FINAL


def test_progress_is_written_in_steps(reports: Reports) -> None:
    """A 2-second job reports 50% after its first step, then completes at 100%."""
    settings = reports.make_settings(job_seconds=2)
    job_id = add_job(reports)
    seen: set[int] = set()
    worker = threading.Thread(target=run_job, args=(reports.engine, settings, job_id))
    worker.start()
    try:
        wait_for(
            lambda: seen.add(reports.row(job_id).progress) or 50 in seen,
            timeout=5,
            what="progress 50",
        )
    finally:
        worker.join(timeout=10)
    assert reports.row(job_id).progress == 100


def test_unreachable_database_propagates_as_a_database_error(instant: ReportsSettings) -> None:
    """No database: run_job raises an error the task recognises as 'retry later'."""
    url = sync_database_url("postgresql://postgres@127.0.0.1:1/nowhere")
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with pytest.raises(psycopg.OperationalError) as caught:
            run_job(engine, instant, uuid.uuid4())
        assert is_database_error(caught.value)
    finally:
        engine.dispose()


def test_a_failure_never_overwrites_a_cancel(
    reports: Reports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job cancelled while it fails stays cancelled (failing only changes unfinished jobs)."""
    job_id = add_job(reports)

    def cancelled_then_over_time(seconds: float) -> None:
        reports.set_state(job_id, JobState.CANCELLED)
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(handler.time, "sleep", cancelled_then_over_time)
    settings = reports.make_settings(job_seconds=1)
    assert run_job(reports.engine, settings, job_id) is Outcome.FAILED
    row = reports.row(job_id)
    assert (row.state, row.error) == (JobState.CANCELLED, None)


def test_database_error_mid_job_is_left_for_a_retry(
    reports: Reports, instant: ReportsSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database error during the work propagates (the task retries); the job is not failed."""
    job_id = add_job(reports)

    def database_gone(self: ReportHandler, job: JobContext) -> None:
        raise OperationalError("UPDATE report_jobs", {}, Exception("server closed the connection"))

    monkeypatch.setattr(ReportHandler, "run", database_gone)
    with pytest.raises(OperationalError):
        run_job(reports.engine, instant, job_id)
    row = reports.row(job_id)
    assert (row.state, row.attempts, row.error) == (JobState.IN_PROGRESS, 1, None)
    monkeypatch.undo()
    assert run_job(reports.engine, instant, job_id) is Outcome.COMPLETE
    assert reports.row(job_id).attempts == 2


def test_connection_lost_while_failing_still_records_the_failure(
    reports: Reports, instant: ReportsSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job's connection dies, then the job raises: the failure is recorded on a new one."""
    job_id = add_job(reports)

    def connection_killed_then_boom(self: ReportHandler, job: JobContext) -> None:
        conn = job._conn  # the job's own connection, to kill its backend
        pid = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]  # type: ignore[index]
        with reports.engine.begin() as admin:
            admin.execute(select(func.pg_terminate_backend(pid)))
        raise RuntimeError("boom")

    monkeypatch.setattr(ReportHandler, "run", connection_killed_then_boom)
    assert run_job(reports.engine, instant, job_id) is Outcome.FAILED
    row = reports.row(job_id)
    assert (row.state, row.error) == (JobState.FAILED, "RuntimeError: boom")
    monkeypatch.undo()
    assert run_job(reports.engine, instant, job_id) is Outcome.FINAL
