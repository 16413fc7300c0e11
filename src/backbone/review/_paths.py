"""A path inside the pull request's repository: checked before it reaches a disk or a tool.

Paths come from the pull request (GitHub's file list) or from a model's tool call, so
each is untrusted: it must be relative, stay inside the repository, and be one
spelling of one file (no ``.`` or ``..`` parts, no empty parts, no control characters).
"""

from __future__ import annotations

__all__ = ["MAX_PATH_LENGTH", "UnsafePath", "check_path"]

MAX_PATH_LENGTH = 1024
"""Longer than any path a Git host keeps in practice; long enough for deep trees."""
_MAX_PART_BYTES = 255  # a file name on the usual filesystems


class UnsafePath(ValueError):
    """A path that is not a plain relative path inside the repository."""


def check_path(path: str, *, max_length: int = MAX_PATH_LENGTH) -> str:
    """``path`` itself when it is a relative path inside the repository, else UnsafePath."""
    if not path or len(path) > max_length:
        raise UnsafePath(f"a path is 1 to {max_length} characters, not {len(path)}")
    if any(ord(char) < 0x20 or char in "\\\x7f" for char in path):
        raise UnsafePath("a path holds no control character (NUL, line breaks) or backslash")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafePath("a path is valid UTF-8") from None
    if path.startswith("/"):
        raise UnsafePath("a path is relative to the repository's root")
    for part in path.split("/"):
        if part in {"", ".", ".."}:
            raise UnsafePath("a path has no empty, '.' or '..' parts")
        if len(part.encode("utf-8")) > _MAX_PART_BYTES:
            raise UnsafePath(f"a path part is at most {_MAX_PART_BYTES} bytes")
    return path
