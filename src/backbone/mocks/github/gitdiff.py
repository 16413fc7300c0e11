"""Git-like object ids and GitHub-shaped diffs, computed from file snapshots.

- :func:`blob_sha` is git's own blob id (``sha1("blob <size>\\0" + bytes)``), so a file's
  ``sha`` is the one ``git hash-object`` would print. Trees are flat here (one object
  listing every path), so tree and commit ids are git-*like*: 40 hex digits, stable for
  the same content and parents, different whenever either differs.
- :func:`file_changes` is what ``GET /pulls/{n}/files`` lists: per changed path its
  status, counts and ``patch`` — the unified diff's hunks with no ``---``/``+++`` lines,
  three lines of context, and git's ``\\ No newline at end of file`` marker.
- :func:`diff_lines` reads a patch back: which lines of each side a review comment may
  be placed on, and GitHub's ``position`` (the line's index below the first hunk header).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Snapshot = Mapping[str, bytes]
Side = Literal["LEFT", "RIGHT"]
FileStatus = Literal["added", "modified", "removed"]

NO_NEWLINE = "\\ No newline at end of file"
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
# Fixed author and date: the same content and parents always give the same commit id.
_SIGNATURE = "backbone-fake <fake@example.invalid> 1767225600 +0000"


def blob_sha(content: bytes) -> str:
    """Git's id of a blob holding ``content``."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def tree_sha(files: Snapshot) -> str:
    """A tree id over every ``path → blob`` of ``files`` (flat; git nests per directory)."""
    entries = b"".join(
        b"100644 " + path.encode() + b"\0" + bytes.fromhex(blob_sha(files[path]))
        for path in sorted(files)
    )
    return hashlib.sha1(b"tree %d\0" % len(entries) + entries, usedforsecurity=False).hexdigest()


def commit_sha(files: Snapshot, *, parents: Sequence[str] = (), message: str) -> str:
    """A commit id over the tree of ``files``, its ``parents`` and ``message``."""
    lines = [f"tree {tree_sha(files)}", *(f"parent {parent}" for parent in parents)]
    lines += [f"author {_SIGNATURE}", f"committer {_SIGNATURE}", "", message]
    body = "\n".join(lines).encode()
    return hashlib.sha1(b"commit %d\0" % len(body) + body, usedforsecurity=False).hexdigest()


def text_of(content: bytes) -> str | None:
    """``content`` as text, or None for what git would call binary (NUL, not UTF-8)."""
    if b"\0" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _lines(text: str) -> list[str]:
    """Lines split on ``\\n`` only (as git does), each keeping its ending."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def unified_patch(old: str, new: str) -> str:
    """GitHub's ``patch``: the hunks of ``old`` → ``new`` (empty when they are equal)."""
    out: list[str] = []
    diff = difflib.unified_diff(_lines(old), _lines(new), lineterm="\n", n=3)
    for index, line in enumerate(diff):
        if index < 2:  # the ---/+++ header lines, which GitHub leaves out
            continue
        if line.endswith("\n"):
            out.append(line[:-1])
        else:  # the last line of a side that has no final newline
            out += [line, NO_NEWLINE]
    return "\n".join(out)


@dataclass(frozen=True, slots=True)
class FileChange:
    """One entry of a pull request's file list."""

    filename: str
    status: FileStatus
    sha: str
    additions: int
    deletions: int
    patch: str | None
    """None for binary files (GitHub then leaves ``patch`` out)."""

    @property
    def changes(self) -> int:
        return self.additions + self.deletions


def _counts(patch: str) -> tuple[int, int]:
    lines = patch.split("\n")
    additions = sum(line.startswith("+") for line in lines)
    deletions = sum(line.startswith("-") for line in lines)
    return additions, deletions


def _change(path: str, old: bytes | None, new: bytes | None) -> FileChange:
    status: FileStatus = "added" if old is None else "removed" if new is None else "modified"
    old_text = "" if old is None else text_of(old)
    new_text = "" if new is None else text_of(new)
    sha = blob_sha(new if new is not None else old or b"")
    if old_text is None or new_text is None:
        return FileChange(path, status, sha, 0, 0, None)
    patch = unified_patch(old_text, new_text)
    additions, deletions = _counts(patch)
    return FileChange(path, status, sha, additions, deletions, patch or None)


def file_changes(base: Snapshot, head: Snapshot) -> list[FileChange]:
    """Every path whose content differs between ``base`` and ``head``, in path order."""
    paths = sorted(path for path in base.keys() | head.keys() if base.get(path) != head.get(path))
    return [_change(path, base.get(path), head.get(path)) for path in paths]


# One line of a patch: its number in the old file and in the new one (None where absent;
# both None for a hunk header or the "\ No newline" marker).
PatchLine = tuple[int | None, int | None]


@dataclass(frozen=True, slots=True)
class DiffLines:
    """Where a review comment may go in one file's patch."""

    positions: tuple[PatchLine, ...]
    """``positions[p]``: the line at GitHub position ``p`` (0 is the first hunk header)."""

    def _index(self, side: Side) -> int:
        return 0 if side == "LEFT" else 1

    def contains(self, side: Side, line: int) -> bool:
        """True when ``line`` of ``side`` (LEFT: the old file, RIGHT: the new) is shown."""
        return self.position_of(side, line) is not None

    def position_of(self, side: Side, line: int) -> int | None:
        """GitHub's ``position`` of ``line`` of ``side``, None when it is not in the diff."""
        index = self._index(side)
        return next((p for p, where in enumerate(self.positions) if where[index] == line), None)

    def line_at(self, position: int) -> tuple[Side, int] | None:
        """The side and line at ``position`` (an added or context line is on the RIGHT)."""
        if not 0 < position < len(self.positions):
            return None
        old, new = self.positions[position]
        if new is not None:
            return "RIGHT", new
        return None if old is None else ("LEFT", old)


def _step(line: str, old: int, new: int) -> tuple[PatchLine, int, int]:
    """Where ``line`` of a hunk sits, and the old and new line numbers after it."""
    if line.startswith("+"):
        return (None, new), old, new + 1
    if line.startswith("-"):
        return (old, None), old + 1, new
    if line.startswith(" "):
        return (old, new), old + 1, new + 1
    return (None, None), old, new  # the "\ No newline" marker


def diff_lines(patch: str | None) -> DiffLines:
    """Parse a GitHub ``patch`` into the lines it shows, by position."""
    positions: list[PatchLine] = []
    old = new = 0
    for line in patch.split("\n") if patch else []:
        header = _HUNK.match(line)
        if header:
            positions.append((None, None))
            old, new = int(header.group(1)), int(header.group(3))
            continue
        where, old, new = _step(line, old, new)
        positions.append(where)
    return DiffLines(tuple(positions))


def diff_hunk(patch: str, position: int) -> str:
    """GitHub's ``diff_hunk`` of a comment: its hunk's header down to ``position``."""
    lines = patch.split("\n")
    start = max(p for p, line in enumerate(lines[: position + 1]) if line.startswith("@@"))
    return "\n".join(lines[start : position + 1])
