"""A job's named artifacts: files a worker writes atomically and an API reads back.

By default job ``J``'s artifact ``name`` is ``{root}/J/name``; a kind with one file
per job may lay them out otherwise (``layout``). Writes go through :func:`write_atomic`
(temp file in the same directory, fsync, ``os.replace``, fsync of the directory), so a
reader sees either no file or the whole file, never a torn one, even when a worker dies
mid-write.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path, PurePath

__all__ = ["TEMP_SUFFIX", "FileArtifacts", "write_atomic"]

TEMP_SUFFIX = ".tmp"
"""Temp files are ``.{name}.<random>.tmp``: hidden, and never mistaken for an artifact."""
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

Layout = Callable[[uuid.UUID, str], PurePath]


def _per_job_directory(job_id: uuid.UUID, name: str) -> PurePath:
    return PurePath(str(job_id), name)


class FileArtifacts:
    """Artifacts as files under ``root`` (created on first write)."""

    def __init__(self, root: Path, *, layout: Layout = _per_job_directory) -> None:
        self.root = root
        self._layout = layout

    def path(self, job_id: uuid.UUID | str, name: str) -> Path:
        """Where artifact ``name`` of the job is: the id in its canonical form, the name plain.

        ValueError for an id that is not a UUID or a name that could leave the directory.
        """
        if not _NAME.fullmatch(name) or ".." in name:
            raise ValueError(f"not an artifact name: {name!r}")
        return self.root / self._layout(uuid.UUID(str(job_id)), name)

    def write(self, job_id: uuid.UUID | str, name: str, data: bytes) -> Path:
        """Write the artifact atomically and durably; its path."""
        path = self.path(job_id, name)
        write_atomic(path, data)
        return path

    def read(self, job_id: uuid.UUID | str, name: str) -> bytes:
        """The artifact's bytes (FileNotFoundError when it is not there)."""
        return self.path(job_id, name).read_bytes()

    def exists(self, job_id: uuid.UUID | str, name: str) -> bool:
        """True when the artifact is there."""
        return self.path(job_id, name).exists()

    def remove(self, job_id: uuid.UUID | str, name: str) -> bool:
        """Remove the artifact if it is there; True if it was."""
        try:
            self.path(job_id, name).unlink()
        except (FileNotFoundError, NotADirectoryError):
            return False
        return True


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
