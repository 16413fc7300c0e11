"""The review, in the three calls the worker and the CLI make.

1. :func:`fetch_snapshot` (async): what the review needs from GitHub, within the caps.
2. :func:`build_review` (synchronous: CrewAI runs its own loop; call it from a worker
   thread): ruff's findings on the changed lines, then the Expert Code Reviewer. The
   diff, the pull request's text and the findings enter its prompt as delimited,
   untrusted data, every secret redacted. With the offline engine its plan reads the
   files with findings through ``read_file`` and its answer is the findings grouped
   and explained per rule, with the lines it read; with a model, the model's text
   becomes the "Reviewer notes". The findings are ruff's either way: nothing the model
   writes removes or changes one.
3. :func:`publish_review` (async): the one marked comment, created or edited, and a
   review with event COMMENT and inline comments (capped) when enabled, one per head.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from backbone.agents import (
    AgentSettings,
    CrewSpec,
    Step,
    ToolCall,
    ToolFailed,
    engine_label,
    run_crew,
)
from backbone.review._markdown import neutralize
from backbone.review.comment import MARKER, explain, inline_comments, line_link, render_comment
from backbone.review.config import ReviewSettings
from backbone.review.crews.review import READ_FILE, review_crew
from backbone.review.github._models import PullRequest
from backbone.review.github._protocol import GitHubApi
from backbone.review.lint import Finding, LintConfigError, config_in_use, lint_python
from backbone.review.report import ReviewReport
from backbone.review.snapshot import Snapshot, fetch_snapshot, file_reader

__all__ = [
    "MAX_PLANNED_READS",
    "REDACTED",
    "Published",
    "ReviewReport",
    "Snapshot",
    "build_review",
    "fetch_snapshot",
    "file_reader",
    "publish_review",
]

logger = logging.getLogger(__name__)

MAX_PLANNED_READS = 5
"""Files the offline engine reads through the tool, at most (those with findings first)."""
MAX_PROMPT_DIFF_CHARS = 60_000
MAX_PROMPT_TEXT_CHARS = 10_000
REDACTED = "[redacted]"
NO_FINDINGS = "No findings on the changed lines."
Redact = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Published:
    """Where the review went: the one comment, and the review with inline comments."""

    comment_url: str
    comment_id: int
    review_url: str | None
    findings: int


def _redactor(secrets: Sequence[str]) -> Redact:
    # Longest first: a secret that contains another is replaced whole.
    known = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(text: str) -> str:
        for secret in known:
            text = text.replace(secret, REDACTED)
        return text

    return redact


def _cut(text: str, limit: int, what: str) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[{what} cut at {limit} of {len(text)} characters]"


def _lint(snapshot: Snapshot) -> tuple[list[Finding], str | None, str | None]:
    """ruff's findings, the configuration used, and why the repository's was not."""
    changed, sources = snapshot.changed, snapshot.sources
    try:
        found = lint_python(sources, changed=changed, config_files=snapshot.config_files)
        return found, config_in_use(snapshot.config_files), None
    except LintConfigError as exc:
        logger.info("lint_config_refused repo=%s reason=%s", snapshot.pr.repo.full_name, exc)
        note = f"not used ({exc}); the default rules were used instead"
        return lint_python(sources, changed=changed), None, note


def _untrusted(snapshot: Snapshot, findings: Sequence[Finding], redact: Redact) -> dict[str, str]:
    """The pull request's text, its diff and the findings: data for the prompt."""
    pr = snapshot.pr
    about = f"Title: {pr.title}\nAuthor: {pr.author}\n\n{pr.body}"
    diff = []
    for pull_file in snapshot.files:
        was = f" (was {pull_file.previous_filename})" if pull_file.previous_filename else ""
        patch = pull_file.patch or "(no diff: binary, or too large for GitHub to show)"
        diff.append(f"--- {pull_file.status}: {pull_file.filename}{was}\n{patch}")
    listed = [
        f"{f.path}:{f.line}:{f.column}: {f.code} [{f.severity}] {f.message}" for f in findings
    ]
    return {
        "pull_request": redact(_cut(about, MAX_PROMPT_TEXT_CHARS, "the description")),
        "diff": redact(_cut("\n".join(diff), MAX_PROMPT_DIFF_CHARS, "the diff")),
        "findings": redact("\n".join(listed) or "(none)"),
    }


def _excerpts(texts: Mapping[str, str], findings: Sequence[Finding]) -> dict[tuple[str, int], str]:
    """The text of each flagged line, from the files in ``texts``."""
    lines = {path: text.split("\n") for path, text in texts.items()}
    return {
        (f.path, f.line): lines[f.path][f.line - 1]
        for f in findings
        if f.path in lines and 0 < f.line <= len(lines[f.path])
    }


def _read_by_tool(steps: Sequence[Step]) -> dict[str, str]:
    """What each successful ``read_file`` returned (as the tool adapter recorded it)."""
    read: dict[str, str] = {}
    for step in steps:
        if step.tool == READ_FILE and step.error is None and isinstance(step.output, dict):
            text = step.output.get("text")
            if isinstance(text, str) and "error" not in step.output:
                read[str(step.output.get("path"))] = text
    return read


def _planned_reads(findings: Sequence[Finding], agents: AgentSettings) -> list[ToolCall]:
    paths = list(dict.fromkeys(f.path for f in findings))
    most = min(MAX_PLANNED_READS, agents.max_iterations - 1)
    return [ToolCall(READ_FILE, {"path": path}) for path in paths[:most]]


def _offline(
    spec: CrewSpec,
    findings: list[Finding],
    agents: AgentSettings,
    *,
    pr: PullRequest,
    inputs: Mapping[str, str],
    untrusted: Mapping[str, str],
) -> dict[tuple[str, int], str]:
    """The offline engine: read the flagged files, explain the findings per rule; the
    flagged lines' text as the tool read it."""
    link = line_link(pr, pr.head_sha)

    def compose(steps: Sequence[Step]) -> str:
        excerpts = _excerpts(_read_by_tool(steps), findings)
        # Never empty: CrewAI takes an empty final answer for no answer at all.
        return explain(findings, excerpts=excerpts, link=link) or NO_FINDINGS

    run = run_crew(
        spec,
        settings=agents,
        inputs=inputs,
        untrusted=untrusted,
        plan=_planned_reads(findings, agents),
        compose=compose,
    )
    return _excerpts(_read_by_tool(run.steps), findings)


def _run_agent(
    snapshot: Snapshot,
    findings: list[Finding],
    *,
    agents: AgentSettings,
    read: Callable[[str], str],
    redact: Redact,
) -> tuple[str | None, dict[tuple[str, int], str]]:
    """The crew's notes (a model's only) and the flagged lines' text."""
    pr = snapshot.pr
    spec = review_crew(lambda path: redact(read(path)))
    inputs = {
        "repository": pr.repo.full_name,
        "number": str(pr.number),
        "head_sha": pr.head_sha,
        "files": str(len(snapshot.files)),
        "findings": str(len(findings)),
    }
    untrusted = _untrusted(snapshot, findings, redact)
    if agents.is_local:
        return None, _offline(spec, findings, agents, pr=pr, inputs=inputs, untrusted=untrusted)
    excerpts = _excerpts({p: redact(t) for p, t in snapshot.sources.items()}, findings)
    try:
        outcome = run_crew(spec, settings=agents, inputs=inputs, untrusted=untrusted)
    except ToolFailed as exc:
        # The model asked for something the tool refused: its notes are lost, the
        # findings stand. (A model that cannot be reached fails the review instead.)
        logger.warning("review_agent_tool_failed repo=%s error=%s", pr.repo.full_name, exc)
        return neutralize(redact(f"_The model's review stopped: {exc}_")), excerpts
    return neutralize(redact(outcome.text)), excerpts


def build_review(
    snapshot: Snapshot,
    *,
    agents: AgentSettings,
    read_file: Callable[[str], str],
    secrets: Sequence[str] = (),
) -> ReviewReport:
    """Lint, run the Expert Code Reviewer, and render the comment (see the module).

    ``read_file`` reads a path of the pull request's repository at its head SHA (see
    :func:`file_reader`); ``secrets`` are redacted from every prompt, tool answer, note
    and the comment. Synchronous: never call it from a running event loop.
    """
    redact = _redactor(secrets)
    findings, config, note = _lint(snapshot)
    notes, excerpts = _run_agent(snapshot, findings, agents=agents, read=read_file, redact=redact)
    report = ReviewReport(
        pr=snapshot.pr,
        head_sha=snapshot.head_sha,
        findings=tuple(findings),
        skipped=snapshot.skipped,
        non_python=snapshot.non_python,
        engine=engine_label(agents),
        notes=notes,
        reviewed=tuple(snapshot.sources),
        model=not agents.is_local,
        lint_config=config,
        lint_note=note,
        excerpts=excerpts,
    )
    logger.info(
        "review_built repo=%s number=%d head=%s findings=%d engine=%s",
        snapshot.pr.repo.full_name,
        snapshot.pr.number,
        snapshot.head_sha[:12],
        len(findings),
        report.engine,
    )
    return dataclasses.replace(report, comment=redact(render_comment(report)))


def _review_marker(head_sha: str) -> str:
    """The inline review's hidden first line: one review per head, however often the
    review is delivered (a worker killed after posting it leaves its job to run again)."""
    return f"<!-- backbone-review:{head_sha} -->"


def _review_body(report: ReviewReport, comment_url: str, inline: int) -> str:
    count = len(report.findings)
    plural = "finding" if count == 1 else "findings"
    return (
        f"{_review_marker(report.head_sha)}\n"
        f"backbone review: {count} ruff {plural} on the changed lines of this commit, "
        f"{inline} shown inline. The summary: {comment_url}"
    )


async def publish_review(
    github: GitHubApi, report: ReviewReport, *, settings: ReviewSettings
) -> Published:
    """Create or edit the one marked comment; post the inline review when enabled, once
    per head (its body's hidden marker names the head)."""
    repo, number = report.pr.repo, report.pr.number
    body = report.comment or render_comment(report)
    comment = await github.upsert_comment(repo, number, marker=MARKER, body=body)
    review_url = None
    if settings.inline_comments and report.findings:
        inline = inline_comments(report.findings, limit=settings.max_inline_comments)
        if inline:
            review = await github.create_review(
                repo,
                number,
                commit_id=report.head_sha,
                body=_review_body(report, comment.html_url, len(inline)),
                comments=inline,
                marker=_review_marker(report.head_sha),
            )
            review_url = review.html_url
    logger.info(
        "review_published repo=%s number=%d comment=%d inline_review=%s",
        repo.full_name,
        number,
        comment.id,
        review_url is not None,
    )
    return Published(comment.html_url, comment.id, review_url, len(report.findings))
