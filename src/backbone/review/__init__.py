"""``backbone.review``: the code-review agent — a pull request in, a grounded comment out.

The service (port 8003, :func:`create_app`): a GitHub webhook delivery is verified on its
raw bytes, recorded and queued on the jobs layer (:mod:`.routes`, :mod:`.service`); a
worker (:mod:`.handler`, ``backbone worker review``) reviews the pull request through
one GitHub client (:mod:`.github`) and posts one marked comment, edited on every new head.

The engine, in three calls (:mod:`backbone.review.reviewer`)::

    snapshot = await fetch_snapshot(github, repo, number, settings=settings)
    report = await asyncio.to_thread(
        build_review, snapshot, agents=agents, read_file=read, secrets=secrets
    )
    published = await publish_review(github, report, settings=settings)

- :func:`changed_lines` (:mod:`.diff`): the head lines a GitHub ``patch`` adds.
- :func:`lint_python` (:mod:`.lint`): ruff on the changed Python files, with the
  repository's configuration or :data:`DEFAULT_RULES`; :class:`Finding` on changed lines.
- :func:`render_comment`, :func:`inline_comments`, :func:`neutralize` (:mod:`.comment`):
  the one comment marked :data:`MARKER`, which pings no one.
- :func:`review_crew`, :func:`read_file_tool` (:mod:`.crews.review`): the Expert Code
  Reviewer and its one tool, bound to the pull request's repository at its head.

Errors of the engine: :class:`LintError` (ruff could not lint) and its subclass
:class:`LintConfigError` (the repository's configuration cannot be used, which
:func:`build_review` handles by linting with the default rules); a path that is not a
plain relative path is a ValueError. GitHub's own errors come from the GitHub client.
"""

from backbone.review.comment import MARKER, inline_comments, neutralize, render_comment
from backbone.review.crews.review import read_file_tool, review_crew
from backbone.review.diff import changed_lines
from backbone.review.lint import (
    DEFAULT_RULES,
    RULE_HINTS,
    Finding,
    LintConfigError,
    LintError,
    lint_python,
)
from backbone.review.main import create_app
from backbone.review.report import ReviewReport, Skipped
from backbone.review.reviewer import Published, build_review, publish_review
from backbone.review.snapshot import Snapshot, fetch_snapshot, file_reader

__all__ = [
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
    "create_app",
    "fetch_snapshot",
    "file_reader",
    "inline_comments",
    "lint_python",
    "neutralize",
    "publish_review",
    "read_file_tool",
    "render_comment",
    "review_crew",
]
