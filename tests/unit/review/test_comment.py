"""The comment: neutralised text, links at the head SHA (GitHub Enterprise too), the
table by severity, what was skipped, the engine said plainly, the size limit, inline
comments."""

from __future__ import annotations

import re

import pytest

from backbone.review.comment import (
    MARKER,
    MAX_COMMENT_CHARS,
    inline_comments,
    neutralize,
    render_comment,
)
from backbone.review.github._models import PullRequest, RepoRef
from backbone.review.lint import Finding
from backbone.review.report import ReviewReport, Skipped
from backbone.review.rules import rule_hint

SHA = "0123456789abcdef0123456789abcdef01234567"
PINGS = re.compile(r"[@\uff20][A-Za-z0-9_]")


def pr(html_url: str = "https://github.com/octo-org/hello/pull/7") -> PullRequest:
    return PullRequest(
        RepoRef("octo-org", "hello"), 7, "t", "", False, "open", SHA, "f" * 40, "me", html_url
    )


def finding(path: str = "a.py", line: int = 1, code: str = "F401", message: str = "m") -> Finding:
    return Finding(
        path=path,
        line=line,
        column=1,
        end_line=line,
        code=code,
        message=message,
        severity=rule_hint(code).severity,
        rule_url=f"https://docs.astral.sh/ruff/rules/{code.lower()}",
        name=None,
    )


def report(*findings: Finding, **overrides: object) -> ReviewReport:
    options: dict[str, object] = {
        "pr": pr(),
        "head_sha": SHA,
        "findings": findings,
        "skipped": (),
        "non_python": (),
        "engine": "local (deterministic tool runner, not a language model)",
        "notes": None,
        "reviewed": ("a.py",),
        **overrides,
    }
    return ReviewReport(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "@octocat",
        "cc @everyone and @here",
        "@octo-org/reviewers",
        "email me: @Octo_Cat",
        "\uff20octocat",
        "[link](https://x) @a",
        "&#64;octocat &#x40;octocat &commat;octocat",
        "`@octocat` in code",
        "```\n@octocat\n```",
    ],
)
def test_neutralize_leaves_no_mention(text: str) -> None:
    """No ``@name`` survives, in prose or code, plain or as an HTML character reference."""
    safe = neutralize(text)
    assert PINGS.search(safe) is None
    assert not re.search(r"&(#|commat;)", safe.replace("&amp;", ""))


@pytest.mark.parametrize("text", ["fixes #123", "octo-org/other#9", "GH-42", "gh-7"])
def test_neutralize_breaks_issue_references(text: str) -> None:
    """``#123``, ``owner/repo#9`` and ``GH-42`` would link (and notify) other issues."""
    assert re.search(r"(#|GH-)[0-9]", neutralize(text), re.IGNORECASE) is None


def test_neutralize_escapes_html_outside_code_only() -> None:
    """Tags and a fake marker become text; code spans keep their ``<`` as written."""
    text = "<!-- backbone-review --> <img src=x> `a < b`"
    assert neutralize(text) == "&lt;!-- backbone-review --> &lt;img src=x> `a < b`"


def test_neutralize_removes_bidirectional_controls_and_is_idempotent() -> None:
    """Trojan Source characters go; neutralising twice changes nothing more."""
    text = "ok\u202egnp.exe @a #1 &#64;b <i> `@c`"
    once = neutralize(text)
    assert "\u202e" not in once
    assert neutralize(once) == once


def test_comment_starts_with_the_marker_and_links_lines_at_the_head() -> None:
    """The marker first; each finding links to its line at the head SHA."""
    text = render_comment(report(finding("src/my app (v2).py", 3)))
    assert text.startswith(MARKER + "\n")
    url = f"https://github.com/octo-org/hello/blob/{SHA}/src/my%20app%20%28v2%29.py#L3"
    assert f"({url})" in text
    assert f"(https://github.com/octo-org/hello/commit/{SHA})" in text


def test_links_follow_github_enterprise_and_the_fake() -> None:
    """Links are built from the PR's own URL, whatever the host and prefix."""
    enterprise = pr("https://ghe.example.com/octo-org/hello/pull/7")
    text = render_comment(report(finding(), pr=enterprise))
    assert f"https://ghe.example.com/octo-org/hello/blob/{SHA}/a.py#L1" in text
    local = pr("http://127.0.0.1:9004/octo-org/hello/pull/7")
    assert f"http://127.0.0.1:9004/octo-org/hello/blob/{SHA}/a.py#L1" in render_comment(
        report(finding(), pr=local)
    )
    nowhere = render_comment(report(finding(), pr=pr("not a url")))
    assert "/blob/" not in nowhere
    assert "`a.py:1`" in nowhere


def test_table_is_by_severity_and_escapes_pipes() -> None:
    """Errors before style before refactoring; a ``|`` in a message does not split a cell."""
    text = render_comment(
        report(
            finding("a.py", 1, "SIM102"),
            finding("a.py", 2, "E711"),
            finding("b.py", 9, "F401", "`x | y` imported | unused"),
        )
    )
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split(" | ")[0] for row in rows[1:]] == ["| error", "| style", "| refactor"]
    assert "`x \\| y` imported \\| unused |" in text
    assert "(1 error, 1 style, 1 refactor)" in text


def test_suggestions_group_per_rule_with_the_hint() -> None:
    """Two F401s make one group with the rule's hint and both places."""
    text = render_comment(report(finding("a.py", 1), finding("b.py", 4)))
    assert text.count("Remove the import, or list the name in `__all__`") == 1
    assert "· error, 2 places" in text


def test_engine_is_stated_plainly() -> None:
    """Offline: not a language model. A model: named, its notes its own, findings ruff's."""
    offline = render_comment(report(finding()))
    assert "a deterministic tool runner, not a language model" in offline
    model = render_comment(
        report(finding(), engine="openai/gpt-4o-mini", model=True, notes="Looks risky.")
    )
    assert "Engine: `openai/gpt-4o-mini`, a language model" in model
    assert "#### Reviewer notes" in model
    assert "Looks risky." in model


def test_non_python_files_are_left_to_a_model_only_when_there_is_one() -> None:
    """The same README.md: 'left to the model' with one, 'not linted' without."""
    offline = render_comment(report(non_python=("README.md",)))
    with_model = render_comment(
        report(non_python=("README.md",), engine="ollama/llama3", model=True)
    )
    assert "no language model is configured): `README.md`" in offline
    assert "left to the model (`ollama/llama3`)" in with_model


def test_skipped_files_and_their_reasons_are_listed() -> None:
    """Each skipped path with its reason, neutralised."""
    text = render_comment(report(skipped=(Skipped("@octocat.py", "larger than 1024 bytes"),)))
    assert "- `@\u200doctocat.py`: larger than 1024 bytes" in text


def test_model_notes_are_neutralised() -> None:
    """A model's notes cannot ping or hide a marker."""
    notes = "@octocat approve this. <!-- backbone-review --> #12"
    text = render_comment(report(engine="m/x", model=True, notes=notes))
    assert PINGS.search(text) is None
    assert text.count(MARKER) == 1


def test_a_huge_review_stays_under_githubs_limit_and_says_so() -> None:
    """5,000 findings with long messages: under 65,536 characters, table cut with a note."""
    many = [finding(f"pkg/module_{n:04}.py", n + 1, "E501", "x" * 80) for n in range(5000)]
    text = render_comment(report(*many))
    assert len(text) <= MAX_COMMENT_CHARS < 65_536
    assert text.startswith(MARKER)
    shown = sum(1 for line in text.splitlines() if line.startswith("| style |"))
    assert 0 < shown < 5000
    assert f"… and {5000 - shown} more findings, not shown" in text
    assert text.rstrip().endswith("</sub>")


def test_inline_comments_one_per_line_worst_first_capped() -> None:
    """Two findings on one line make one comment; errors first; ``limit`` holds."""
    findings = [
        finding("a.py", 3, "E711"),
        finding("a.py", 3, "F841"),
        finding("b.py", 1, "SIM102"),
        finding("c.py", 9, "F401", "`@octocat` imported but unused"),
    ]
    comments = inline_comments(findings, limit=2)
    assert [(c.path, c.line) for c in comments] == [("a.py", 3), ("c.py", 9)]
    assert "F841" in comments[0].body
    assert "E711" in comments[0].body
    assert PINGS.search(comments[1].body) is None
    assert inline_comments(findings, limit=0) == []
