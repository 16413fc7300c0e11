"""The report file: where it lives, what it says, and how it is written (atomically).

A job's report is ``{reports_dir}/{job_id}.txt``. The worker writes it with
:func:`write_atomic` (temp file in the same directory, fsync, ``os.replace``, fsync of
the directory), so a reader sees either no file or the whole file, never a torn one,
even when a worker dies mid-write. The text depends only on the job's row (its id,
title and fixed ``report_time``), so writing it twice gives the same bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["TEMP_SUFFIX", "report_path", "report_text", "write_atomic"]

TEMP_SUFFIX = ".tmp"
"""Temp files are ``.{name}.<random>.tmp``: hidden, and never a ``*.txt`` report."""


def report_path(reports_dir: Path, job_id: uuid.UUID | str) -> Path:
    """``{reports_dir}/{job_id}.txt``, the id in its canonical form (ValueError if not a UUID)."""
    return reports_dir / f"{uuid.UUID(str(job_id))}.txt"


def report_text(*, job_id: uuid.UUID | str, title: str, report_time: datetime) -> str:
    """The report: the time it was made (the seed's "current time", in UTC) and its title."""
    if report_time.tzinfo is None:
        raise ValueError("report_time must be timezone-aware")
    when = report_time.astimezone(UTC).isoformat()
    return f"{when}\ntitle: {title}\njob: {uuid.UUID(str(job_id))}\n"


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically and durably (the directory is created).

    After a crash at any point, ``path`` is either its old content or ``data``; a
    leftover temp file is the only possible litter.
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fchmod(file.fileno(), mode)
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable: fsync the directory that holds the new name."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
