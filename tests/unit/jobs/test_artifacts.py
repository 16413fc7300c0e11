"""A job's artifacts: where they go, and the atomic writer (no database, no worker)."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path, PurePath

import pytest

from backbone.jobs import FileArtifacts, write_atomic
from backbone.jobs import _artifacts as artifacts
from backbone.jobs._artifacts import TEMP_SUFFIX

JOB = uuid.UUID("6cdd65f8-3d62-45fe-828f-31c23b1a08e4")


def test_artifacts_live_in_a_directory_per_job(tmp_path: Path) -> None:
    """By default job J's artifact `plan.md` is {root}/J/plan.md, whatever form J came in."""
    store = FileArtifacts(tmp_path)
    assert store.path(str(JOB).upper(), "plan.md") == tmp_path / str(JOB) / "plan.md"
    store.write(JOB, "plan.md", b"# plan\n")
    assert store.read(JOB.hex, "plan.md") == b"# plan\n"
    assert store.exists(JOB, "plan.md")
    assert not store.exists(JOB, "other.txt")


def test_a_layout_decides_the_file_name(tmp_path: Path) -> None:
    """A kind with one file per job lays them out its own way."""
    store = FileArtifacts(tmp_path, layout=lambda job_id, name: PurePath(f"{job_id}.txt"))
    assert store.path(JOB, "report") == tmp_path / f"{JOB}.txt"


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "", ".hidden", "UPPER", "a" * 65, "a..b"])
def test_names_that_could_leave_the_directory_are_refused(tmp_path: Path, name: str) -> None:
    """Only plain lower-case names: no separators, no dots at the start, no '..'."""
    with pytest.raises(ValueError, match="not an artifact name"):
        FileArtifacts(tmp_path).path(JOB, name)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "", "not-a-uuid"])
def test_ids_that_are_not_uuids_are_refused(tmp_path: Path, bad: str) -> None:
    """An id that is not a UUID never becomes a path (no traversal)."""
    with pytest.raises(ValueError, match="badly formed"):
        FileArtifacts(tmp_path).path(bad, "report")


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

    monkeypatch.setattr(artifacts.os, "fsync", fsync)
    monkeypatch.setattr(artifacts.os, "replace", replace)
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

    monkeypatch.setattr(artifacts.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["r.txt"]
