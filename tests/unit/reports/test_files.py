"""The report file: its path and its text (no database, no worker)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from backbone.reports.files import report_path, report_text

JOB = uuid.UUID("6cdd65f8-3d62-45fe-828f-31c23b1a08e4")
WHEN = datetime(2026, 11, 23, 16, 36, 13, 679069, tzinfo=UTC)


def test_report_path_is_the_job_id_dot_txt(tmp_path: Path) -> None:
    """The report of a job is {reports_dir}/{job_id}.txt, whatever form the id came in."""
    expected = tmp_path / f"{JOB}.txt"
    assert report_path(tmp_path, JOB) == expected
    assert report_path(tmp_path, str(JOB).upper()) == expected
    assert report_path(tmp_path, JOB.hex) == expected


@pytest.mark.parametrize("bad", ["../../etc/passwd", "", "not-a-uuid"])
def test_report_path_refuses_anything_but_a_uuid(tmp_path: Path, bad: str) -> None:
    """An id that is not a UUID never becomes a path (no traversal)."""
    with pytest.raises(ValueError, match="badly formed"):
        report_path(tmp_path, bad)


def test_report_text_is_the_time_then_the_title() -> None:
    """The report holds the time in UTC (ISO 8601) first, then the title and the job id."""
    text = report_text(job_id=JOB, title="Quarterly", report_time=WHEN)
    assert text == f"2026-11-23T16:36:13.679069+00:00\ntitle: Quarterly\njob: {JOB}\n"


def test_report_text_is_the_same_for_the_same_instant() -> None:
    """The same instant in another time zone gives the same report (idempotent reruns)."""
    elsewhere = WHEN.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert report_text(job_id=JOB, title="t", report_time=elsewhere) == report_text(
        job_id=JOB, title="t", report_time=WHEN
    )


def test_report_text_refuses_a_naive_time() -> None:
    """A time without a zone is ambiguous: refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        report_text(job_id=JOB, title="t", report_time=WHEN.replace(tzinfo=None))
