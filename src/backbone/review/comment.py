"""The review's comment and inline comments, rendered from a :class:`ReviewReport`.

One comment per pull request, found again by its first line, :data:`MARKER`, and edited
on each new head. It holds a summary, the findings by severity in a table that links
each to its line at the head SHA, suggestions grouped per rule with their hints, a
model's notes when one took part, what was not reviewed, and the engine, said plainly.

Everything that comes from the pull request passes through :func:`neutralize` (paths,
linter messages, quoted code, a model's notes): the comment pings and references no
one. It stays under GitHub's 65,536 characters: past that, the table is cut, and says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from urllib.parse import quote

from backbone.review._markdown import cell, code, neutralize
from backbone.review.github._models import InlineComment, PullRequest
from backbone.review.lint import Finding
from backbone.review.report import ReviewReport
from backbone.review.rules import SEVERITIES, rule_hint

__all__ = [
    "MARKER",
    "MAX_COMMENT_CHARS",
    "explain",
    "inline_comments",
    "line_link",
    "neutralize",
    "render_comment",
]

MARKER = "<!-- backbone-review -->"
"""The hidden first line that marks the review's one comment on a pull request."""
MAX_COMMENT_CHARS = 65_000
"""GitHub refuses bodies over 65,536 characters: this leaves room to spare."""
MAX_PLACES_PER_RULE = 5
MAX_LISTED = 50
MAX_NOTES_CHARS = 20_000
_EMPTY: Mapping[tuple[str, int], str] = MappingProxyType({})
Link = Callable[[str, int], str | None]


def _rank(finding: Finding) -> tuple[int, str, int, str]:
    return (SEVERITIES.index(finding.severity), finding.path, finding.line, finding.code)


def _repository_url(pr: PullRequest) -> str | None:
    # From the pull request's own page, so GitHub Enterprise and the fake GitHub work too.
    base, sep, _ = pr.html_url.rpartition("/pull/")
    return base if sep and base.startswith(("https://", "http://")) else None


def line_link(pr: PullRequest, head_sha: str) -> Link:
    """``(path, line) →`` the line's URL at ``head_sha`` (None when the PR has no page)."""
    base = _repository_url(pr)

    def link(path: str, line: int) -> str | None:
        if base is None:
            return None
        return f"{base}/blob/{quote(head_sha, safe='')}/{quote(path, safe='/')}#L{line}"

    return link


def _place(finding: Finding, link: Link) -> str:
    where = code(f"{finding.path}:{finding.line}")
    url = link(finding.path, finding.line)
    return f"[{where}]({url})" if url else where


def _rule(finding: Finding) -> str:
    label = neutralize(finding.code)
    if finding.rule_url and finding.rule_url.startswith("https://"):
        return f"[{label}]({finding.rule_url})"
    return label


def explain(
    findings: Sequence[Finding], *, excerpts: Mapping[tuple[str, int], str] = _EMPTY, link: Link
) -> str:
    """The findings grouped per rule, worst first: what each rule means, the hint, and
    where (with the flagged line's text when known). Markdown, neutralised."""
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in sorted(findings, key=_rank):
        groups[finding.code].append(finding)
    blocks = []
    for rule, group in groups.items():
        hint = rule_hint(rule)
        name = f" ({code(group[0].name)})" if group[0].name else ""
        places = "place" if len(group) == 1 else "places"
        lines = [
            f"**{_rule(group[0])}**{name} · {hint.severity}, {len(group)} {places}  ",
            f"{neutralize(hint.title)}: {neutralize(hint.hint)}",
        ]
        for finding in group[:MAX_PLACES_PER_RULE]:
            text = excerpts.get((finding.path, finding.line))
            shown = f": {code(text.strip()[:200])}" if text and text.strip() else ""
            lines.append(f"- {_place(finding, link)}{shown}")
        if len(group) > MAX_PLACES_PER_RULE:
            lines.append(f"- … and {len(group) - MAX_PLACES_PER_RULE} more")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _summary(report: ReviewReport, commit: str) -> str:
    count = len(report.findings)
    files = len(report.reviewed)
    config = (
        f"the repository's {code(report.lint_config)}"
        if report.lint_config
        else "the default rules: pycodestyle (PEP 8), pyflakes, bugbear, simplify, complexity"
    )
    linted = f"ruff linted {files} changed Python file{'s' if files != 1 else ''} with {config}."
    if not count:
        return f"**No findings** on the changed lines at {commit}: {linted}"
    by = [(s, sum(f.severity == s for f in report.findings)) for s in SEVERITIES]
    counts = ", ".join(f"{n} {s}" for s, n in by if n)
    plural = "finding" if count == 1 else "findings"
    return f"**{count} {plural}** on the changed lines at {commit} ({counts}): {linted}"


def _rows(report: ReviewReport, link: Link) -> list[str]:
    rows = []
    for f in sorted(report.findings, key=_rank):
        message = cell(neutralize(f.message))
        rows.append(f"| {f.severity} | {cell(_rule(f))} | {cell(_place(f, link))} | {message} |")
    return rows


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(code(item) for item in items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _not_reviewed(report: ReviewReport) -> str:
    lines = [f"- {code(s.path)}: {neutralize(s.reason)}" for s in report.skipped[:MAX_LISTED]]
    if len(report.skipped) > MAX_LISTED:
        lines.append(f"- … and {len(report.skipped) - MAX_LISTED} more")
    if report.lint_note:
        lines.append(f"- ruff's configuration: {neutralize(report.lint_note)}")
    if report.non_python:
        fate = (
            f"left to the model ({code(report.engine)}): see its notes"
            if report.model
            else "not linted (ruff reads Python; no language model is configured)"
        )
        lines.append(f"- Not Python, {fate}: {_listed(report.non_python)}")
    return "\n".join(lines)


def _engine(report: ReviewReport) -> str:
    if report.model:
        return (
            f"Engine: {code(report.engine)}, a language model. Its notes are its own reading"
            " of the change; the findings are ruff's, and nothing it writes changes them."
        )
    return (
        "Engine: `local`, a deterministic tool runner, not a language model: the findings"
        " are ruff's, the explanations come from a fixed table of rules."
    )


def _notes(report: ReviewReport) -> str | None:
    if report.notes is None or not report.notes.strip():
        return None
    text = report.notes.strip()
    if len(text) > MAX_NOTES_CHARS:
        text = text[:MAX_NOTES_CHARS] + "\n\n… (cut: the notes were longer)"
    return f"#### Reviewer notes\n_Written by {code(report.engine)}._\n\n{neutralize(text)}"


def render_comment(report: ReviewReport) -> str:
    """The comment's Markdown: :data:`MARKER` first, at most :data:`MAX_COMMENT_CHARS`."""
    link = line_link(report.pr, report.head_sha)
    base = _repository_url(report.pr)
    short = code(report.head_sha[:7])
    commit = f"[{short}]({base}/commit/{quote(report.head_sha, safe='')})" if base else short
    head = [MARKER, "### backbone review", _summary(report, commit)]
    tail = []
    if report.findings:
        tail.append(
            "#### Suggestions\n" + explain(report.findings, excerpts=report.excerpts, link=link)
        )
    notes = _notes(report)
    if notes:
        tail.append(notes)
    skipped = _not_reviewed(report)
    if skipped:
        tail.append("#### Not reviewed\n" + skipped)
    tail.append(f"<sub>{_engine(report)}</sub>")
    rows = _rows(report, link)
    return _fit(head, rows, tail)


def _fit(head: list[str], rows: list[str], tail: list[str]) -> str:
    """Head, the table with as many rows as fit, tail: within :data:`MAX_COMMENT_CHARS`."""
    table_head = "#### Findings\n| Severity | Rule | Where | Message |\n| --- | --- | --- | --- |"

    def join(shown: int) -> str:
        blocks = list(head)
        if rows:
            table = "\n".join([table_head, *rows[:shown]])
            if shown < len(rows):
                table += (
                    f"\n\n_… and {len(rows) - shown} more findings, not shown: the comment"
                    " would pass GitHub's size limit._"
                )
            blocks.append(table)
        return "\n\n".join(blocks + tail)

    shown = len(rows)
    text = join(shown)
    while len(text) > MAX_COMMENT_CHARS and shown > 0:
        over = len(text) - MAX_COMMENT_CHARS
        while over > 0 and shown > 0:  # drop just enough rows, from the least severe
            shown -= 1
            over -= len(rows[shown]) + 1
        text = join(shown)
    if len(text) > MAX_COMMENT_CHARS:  # the other sections alone are too long
        cut = "\n\n… (cut: the comment would pass GitHub's size limit)"
        text = text[: MAX_COMMENT_CHARS - len(cut)] + cut
    return text


def inline_comments(findings: Sequence[Finding], *, limit: int) -> list[InlineComment]:
    """One inline comment per changed line with findings, worst first, at most ``limit``."""
    by_line: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for finding in sorted(findings, key=_rank):
        by_line[(finding.path, finding.line)].append(finding)
    comments = []
    for (path, line), group in list(by_line.items())[: max(limit, 0)]:
        parts = []
        for finding in group:
            hint = rule_hint(finding.code)
            parts.append(
                f"**{_rule(finding)}** ({finding.severity}): {neutralize(finding.message)}  \n"
                f"{neutralize(hint.hint)}"
            )
        comments.append(InlineComment(path=path, line=line, body="\n\n".join(parts)))
    return comments
