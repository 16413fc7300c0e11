"""What one review found and what it left out: the data the comment is rendered from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from backbone.review.github._models import PullRequest
from backbone.review.lint import Finding
from backbone.review.rules import SEVERITIES

__all__ = ["ReviewReport", "Skipped"]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file (or part of one) the review did not lint, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class ReviewReport:
    """One review of one head of a pull request.

    ``findings`` are ruff's, on changed lines, never a model's. ``notes`` is what a
    language model wrote (neutralised, secrets redacted), None with the offline engine.
    ``comment`` is the rendered comment (empty until rendered).
    """

    pr: PullRequest
    head_sha: str
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    non_python: tuple[str, ...]
    engine: str
    notes: str | None
    comment: str = ""
    reviewed: tuple[str, ...] = ()
    """The Python files linted."""
    model: bool = False
    """Whether a language model took part (then ``notes`` are its own)."""
    lint_config: str | None = None
    """The repository's configuration ruff used (``ruff.toml``...), None: the default."""
    lint_note: str | None = None
    """Why the repository's configuration was not used, when it was not."""
    excerpts: Mapping[tuple[str, int], str] = field(default_factory=lambda: MappingProxyType({}))
    """The text of flagged lines, by (path, line), as the review read them."""

    def summary(self) -> dict[str, Any]:
        """The review as JSON-able data (a job's result): counts, not the comment."""
        by_severity = Counter(f.severity for f in self.findings)
        return {
            "repo": self.pr.repo.full_name,
            "number": self.pr.number,
            "head_sha": self.head_sha,
            "findings": len(self.findings),
            "by_severity": {s: by_severity[s] for s in SEVERITIES if by_severity[s]},
            "rules": dict(sorted(Counter(f.code for f in self.findings).items())),
            "reviewed": list(self.reviewed),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "non_python": list(self.non_python),
            "engine": self.engine,
            "model": self.model,
            "lint_config": self.lint_config,
            "lint_note": self.lint_note,
            "notes": self.notes is not None,
        }
