"""The report file: its path, its text, and the atomic writer (no database, no worker)."""

from __future__ import annotations

import os
import stat
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from backbone.reports import files
from backbone.reports.files import TEMP_SUFFIX, report_path, report_text, write_atomic

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


def test_write_atomic_creates_the_directory_and_the_file(tmp_path: Path) -> None:
    """The file appears with exactly the bytes, readable by others (0644), no temp file left."""
    path = tmp_path / "new" / "dir" / "r.txt"
    write_atomic(path, b"hello\n")
    assert path.read_bytes() == b"hello\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(path.parent) == ["r.txt"]


def test_write_atomic_twice_leaves_one_identical_file(tmp_path: Path) -> None:
    """Writing the same report twice leaves one file with the same bytes."""
    path = tmp_path / "r.txt"
    write_atomic(path, b"same")
    write_atomic(path, b"same")
    assert path.read_bytes() == b"same"
    assert os.listdir(tmp_path) == ["r.txt"]


def test_write_atomic_replaces_through_a_temp_file_and_fsyncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data is fsynced in a temp file beside the target, renamed over it, then the dir fsynced."""
    path = tmp_path / "r.txt"
    path.write_bytes(b"old")
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(src: str, dst: Path) -> None:
        assert Path(src).parent == tmp_path
        assert Path(src).name.startswith(".r.txt.")
        assert src.endswith(TEMP_SUFFIX)
        assert Path(src).read_bytes() == b"new"
        assert path.read_bytes() == b"old"
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "fsync", fsync)
    monkeypatch.setattr(files.os, "replace", replace)
    write_atomic(path, b"new")
    assert events == ["fsync-file", "replace", "fsync-dir"]
    assert path.read_bytes() == b"new"


def test_write_atomic_failure_keeps_the_old_file_and_no_litter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure before the rename leaves the old content and removes the temp file."""
    path = tmp_path / "r.txt"
    path.write_bytes(b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["r.txt"]
