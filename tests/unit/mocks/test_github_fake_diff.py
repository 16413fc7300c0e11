"""The fake GitHub's git objects and diffs, and the seed's documented ruff findings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backbone.mocks.github.gitdiff import (
    NO_NEWLINE,
    blob_sha,
    commit_sha,
    diff_hunk,
    diff_lines,
    file_changes,
    unified_patch,
)
from backbone.mocks.github.seed import (
    SEED_BASE_FILES,
    SEED_FINDINGS,
    SEED_HEAD_FILES,
    SEED_UNCHANGED_FINDINGS,
)


def numbers(**replaced: str) -> str:
    """Lines "1" to "20", some replaced (``l3="three"``)."""
    return "".join(f"{replaced.get(f'l{n}', n)}\n" for n in range(1, 21))


NUMBERS = numbers()


def test_blob_sha_is_gits() -> None:
    """``blob_sha`` is what ``git hash-object`` prints (known value for "hello\\n")."""
    assert blob_sha(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_commit_ids_depend_on_content_and_parent() -> None:
    """Same tree and parents → same id; another parent or file → another id."""
    files = {"a": b"1"}
    one = commit_sha(files, message="m")
    assert one == commit_sha(dict(files), message="m")
    assert one != commit_sha(files, parents=[one], message="m")
    assert one != commit_sha({"a": b"2"}, message="m")


def test_patch_hunks_like_git() -> None:
    """Changes far apart make two hunks with three lines of context, git's headers."""
    new = numbers(l3="three", l18="eighteen")
    assert unified_patch(NUMBERS, new) == (
        "@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n"
        "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20"
    )


def test_patch_marks_a_missing_final_newline() -> None:
    """A side without a final newline gets git's "\\ No newline at end of file" line."""
    assert unified_patch("a\n", "a\nb") == f"@@ -1 +1,2 @@\n a\n+b\n{NO_NEWLINE}"
    assert unified_patch("a", "a\n") == f"@@ -1 +1 @@\n-a\n{NO_NEWLINE}\n+a"


def test_file_changes_statuses_and_binary() -> None:
    """Added, modified, removed in path order; a binary file has no patch."""
    changes = file_changes(
        {"b.txt": b"x\n", "c.txt": b"gone\n", "same": b"s"},
        {"a.bin": b"\0\1", "b.txt": b"y\n", "same": b"s"},
    )
    assert [(c.filename, c.status, c.additions, c.deletions) for c in changes] == [
        ("a.bin", "added", 0, 0),
        ("b.txt", "modified", 1, 1),
        ("c.txt", "removed", 0, 1),
    ]
    assert changes[0].patch is None
    assert changes[2].patch == "@@ -1 +0,0 @@\n-gone"


def test_diff_lines_and_positions() -> None:
    """Right: added and context lines; left: deleted and context; positions count headers."""
    patch = unified_patch(NUMBERS, numbers(l3="three", l18="x"))
    lines = diff_lines(patch)
    assert lines.contains("RIGHT", 3)
    assert lines.contains("LEFT", 3)
    assert lines.contains("RIGHT", 6)
    assert not lines.contains("RIGHT", 7)
    assert lines.position_of("LEFT", 3) == 3
    assert lines.position_of("RIGHT", 3) == 4
    assert lines.position_of("RIGHT", 15) == 9  # the second hunk's header is position 8
    assert lines.line_at(8) is None
    assert lines.line_at(3) == ("LEFT", 3)
    assert diff_hunk(patch, 10) == "@@ -15,6 +15,6 @@\n 15\n 16"


@pytest.fixture(scope="module")
def ruff_findings(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, int, str]]:
    """What ruff reports on the seeded head (rules E, W, F, B, SIM, C90, both lengths)."""
    root = Path(tmp_path_factory.mktemp("seed"))
    for path, text in SEED_HEAD_FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    found: set[tuple[str, int, str]] = set()
    for length in ("88", "100"):
        command = [sys.executable, "-m", "ruff", "check", "--isolated", "--select"]
        command += ["E,W,F,B,SIM,C90", "--line-length", length, "--output-format", "json", "."]
        result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
        for finding in json.loads(result.stdout):
            path = Path(finding["filename"]).relative_to(root).as_posix()
            found.add((path, finding["location"]["row"], finding["code"]))
    return found


def test_seed_findings_are_what_ruff_reports(ruff_findings: set[tuple[str, int, str]]) -> None:
    """The seed module's table is exactly ruff's findings on the seeded head."""
    documented = {(f.path, f.line, f.code) for f in SEED_FINDINGS + SEED_UNCHANGED_FINDINGS}
    assert ruff_findings == documented


def test_seed_findings_sit_on_changed_lines() -> None:
    """SEED_FINDINGS are on added lines of the diff; SEED_UNCHANGED_FINDINGS are not."""
    changes = {
        c.filename: c for c in file_changes(_bytes(SEED_BASE_FILES), _bytes(SEED_HEAD_FILES))
    }

    def added(path: str, line: int) -> bool:
        lines = diff_lines(changes[path].patch) if path in changes else diff_lines(None)
        position = lines.position_of("RIGHT", line)
        return position is not None and lines.positions[position][0] is None

    assert all(added(f.path, f.line) for f in SEED_FINDINGS)
    assert not any(added(f.path, f.line) for f in SEED_UNCHANGED_FINDINGS)


def _bytes(files: dict[str, str]) -> dict[str, bytes]:
    return {path: text.encode() for path, text in files.items()}
