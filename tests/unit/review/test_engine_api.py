"""The review engine's public names: re-exported by ``backbone.review``, sorted, and
importing them does not import CrewAI."""

from __future__ import annotations

import subprocess
import sys

import backbone.review

ENGINE = {
    "DEFAULT_RULES",
    "MARKER",
    "RULE_HINTS",
    "Finding",
    "LintConfigError",
    "LintError",
    "Published",
    "ReviewReport",
    "Skipped",
    "Snapshot",
    "build_review",
    "changed_lines",
    "fetch_snapshot",
    "file_reader",
    "inline_comments",
    "lint_python",
    "neutralize",
    "publish_review",
    "read_file_tool",
    "render_comment",
    "review_crew",
}


def test_engine_names_are_exported_and_all_is_sorted() -> None:
    """Every engine name is in ``__all__``, which is sorted, and each resolves."""
    exported = backbone.review.__all__
    assert set(exported) >= ENGINE
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n[0].islower(), n))
    for name in exported:
        assert getattr(backbone.review, name) is not None


def test_importing_the_engine_does_not_import_crewai() -> None:
    """The webhook process imports ``backbone.review``: CrewAI waits for the first crew."""
    code = "import sys, backbone.review; print('crewai' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
