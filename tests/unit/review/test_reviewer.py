"""The review end to end over a fake GitHub, with the offline engine: exact findings on
the right lines, caps and what they skip, one comment edited per head, inline reviews."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from backbone.agents import AgentSettings, configure_crewai
from backbone.review.comment import MARKER
from backbone.review.config import ReviewSettings
from backbone.review.reviewer import (
    MAX_PLANNED_READS,
    ReviewReport,
    Snapshot,
    build_review,
    fetch_snapshot,
    file_reader,
    publish_review,
)
from tests.unit.review._fake_api import (
    HEAD,
    REPO,
    FakeGitHub,
    pull_file,
    pull_request,
)

pytestmark = pytest.mark.timeout(120)

BASE_MODULE = """\
import sys


def check(value, items=None):
    if value is None:
        return sys.argv
    return items
LEGACY=1
"""
HEAD_MODULE = """\
import os
import sys


def check(value, items=[]):
    if value == None:
        return sys.argv
    unused = 1
    return items
LEGACY=1
"""
EXPECTED = [
    ("pkg/mod.py", 1, "F401"),
    ("pkg/mod.py", 5, "B006"),
    ("pkg/mod.py", 6, "E711"),
    ("pkg/mod.py", 8, "F841"),
]
LOCAL = AgentSettings(model="local")


@pytest.fixture(scope="module", autouse=True)
def _crewai_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("review-crewai")
    configure_crewai(data_dir=data_dir)
    return data_dir


def settings(**overrides: object) -> ReviewSettings:
    return ReviewSettings(**overrides)  # type: ignore[arg-type]


def fake(
    files: Mapping[str, tuple[str | None, str | None]],
    *,
    body: str = "",
    title: str = "Add a check",
) -> FakeGitHub:
    """A fake GitHub whose pull request changes ``files`` (path → (base, head))."""
    listed = [pull_file(path, base, head) for path, (base, head) in files.items()]
    contents = {path: head for path, (_, head) in files.items() if head is not None}
    return FakeGitHub(pull_request(title=title, body=body), listed, contents)


def snapshot_of(github: FakeGitHub, **overrides: object) -> Snapshot:
    return asyncio.run(fetch_snapshot(github, REPO, 7, settings=settings(**overrides)))


def reader(snapshot: Snapshot, reads: list[str] | None = None) -> Callable[[str], str]:
    def read(path: str) -> str:
        if reads is not None:
            reads.append(path)
        return snapshot.sources[path]

    return read


def review(github: FakeGitHub, **overrides: object) -> ReviewReport:
    snapshot = snapshot_of(github, **overrides)
    return build_review(snapshot, agents=LOCAL, read_file=reader(snapshot))


def codes(report: ReviewReport) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.code) for f in report.findings]


def test_known_findings_on_the_right_lines() -> None:
    """F401, B006, E711, F841 on lines 1, 5, 6, 8; the untouched E225 of line 10 is not."""
    report = review(fake({"pkg/mod.py": (BASE_MODULE, HEAD_MODULE)}))
    assert codes(report) == EXPECTED
    assert report.reviewed == ("pkg/mod.py",)
    assert (report.lint_config, report.lint_note, report.notes) == (None, None, None)
    url = f"https://github.com/octo-org/hello/blob/{HEAD}/pkg/mod.py#L5"
    assert f"[`pkg/mod.py:5`]({url})" in report.comment
    assert report.comment.startswith(MARKER + "\n")
    assert "**4 findings** on the changed lines" in report.comment


def test_the_offline_engine_reads_the_flagged_files_through_the_tool() -> None:
    """Each file with findings is read once by the plan; its lines are quoted."""
    github = fake({"pkg/mod.py": (BASE_MODULE, HEAD_MODULE), "clean.py": ("x = 1\n", "x = 2\n")})
    snapshot = snapshot_of(github)
    reads: list[str] = []
    report = build_review(snapshot, agents=LOCAL, read_file=reader(snapshot, reads))
    assert reads == ["pkg/mod.py"]
    assert report.excerpts[("pkg/mod.py", 5)] == "def check(value, items=[]):"
    assert "`def check(value, items=[]):`" in report.comment
    assert "Default to `None` and create the list or dict inside" in report.comment
    assert "a deterministic tool runner, not a language model" in report.comment


def test_the_plan_reads_a_few_files_at_most() -> None:
    """Findings in 7 files: the plan reads the first MAX_PLANNED_READS of them."""
    files = {f"m{n}.py": ("x = 1\n", "import os\n") for n in range(7)}
    github = fake(files)
    snapshot = snapshot_of(github)
    reads: list[str] = []
    report = build_review(snapshot, agents=LOCAL, read_file=reader(snapshot, reads))
    assert reads == [f"m{n}.py" for n in range(MAX_PLANNED_READS)]
    assert len(report.findings) == 7


def test_removed_and_unchanged_lines_are_not_read_or_reported() -> None:
    """A removed file is not read; a file with only removals has nothing to lint."""
    github = fake(
        {
            "gone.py": ("import os\n", None),
            "shrunk.py": ("import os\nimport sys\n", "import os\n"),
            "pkg/mod.py": (BASE_MODULE, HEAD_MODULE),
        }
    )
    report = review(github)
    assert codes(report) == EXPECTED
    read = {path for path, _ in github.reads}
    assert "gone.py" not in read
    assert "shrunk.py" not in read
    assert all(ref == HEAD for _, ref in github.reads)


def test_file_cap_skips_the_rest_and_says_so() -> None:
    """max_files=2 of 3: the third file is skipped, named in the report and the comment."""
    github = fake(
        {
            "a.py": ("x = 1\n", "import os\n"),
            "b.py": ("x = 1\n", "import sys\n"),
            "c.py": ("x = 1\n", "import re\n"),
        }
    )
    report = review(github, max_files=2)
    assert codes(report) == [("a.py", 1, "F401"), ("b.py", 1, "F401")]
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("c.py", "over the cap of 2 files reviewed")
    ]
    assert "- `c.py`: over the cap of 2 files reviewed" in report.comment


def test_changed_line_cap_keeps_the_first_lines_in_github_order() -> None:
    """max_changed_lines=3: a.py's 2 lines, then 1 of b.py's 3; the rest skipped."""
    github = fake(
        {
            "a.py": ("", "import os\nimport re\n"),
            "b.py": ("", "import sys\nimport json\nimport abc\n"),
            "c.py": ("", "import csv\n"),
        }
    )
    report = review(github, max_changed_lines=3)
    assert codes(report) == [("a.py", 1, "F401"), ("a.py", 2, "F401"), ("b.py", 1, "F401")]
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("b.py", "2 of its 3 changed lines: over the cap of 3 changed lines reviewed"),
        ("c.py", "over the cap of 3 changed lines reviewed"),
    ]
    assert {path for path, _ in github.reads} >= {"a.py", "b.py"}
    assert "c.py" not in {path for path, _ in github.reads}


def test_large_files_missing_files_and_missing_diffs_are_skipped() -> None:
    """Over max_file_bytes, gone at the head, no patch from GitHub: each skipped, with why."""
    big = "import os\n" + "x = 1\n" * 400
    github = fake({"big.py": ("", big), "small.py": ("", "import os\n")})
    github.files = [
        *github.files,
        pull_file("vanished.py", "", "import os\n"),
        pull_file("huge_diff.py", "", "import os\n", patch=None),
    ]
    report = review(github, max_file_bytes=1024)
    assert codes(report) == [("small.py", 1, "F401")]
    assert [(s.path, s.reason) for s in report.skipped] == [
        ("huge_diff.py", "GitHub gives no diff for it (binary or too large)"),
        ("vanished.py", "not found at the head commit"),
        ("big.py", "larger than 1024 bytes"),
    ]


def test_unsafe_paths_are_skipped_not_written() -> None:
    """A path with ``..`` from the file list is skipped; nothing reads it."""
    github = fake({"ok.py": ("", "import os\n")})
    github.files = [*github.files, pull_file("../escape.py", "", "import os\n")]
    report = review(github)
    assert codes(report) == [("ok.py", 1, "F401")]
    assert report.skipped[0].path == "../escape.py"
    assert "../escape.py" not in {path for path, _ in github.reads}


def test_non_python_files_are_listed_and_not_left_to_a_model_offline() -> None:
    """README.md and a YAML file: listed; offline, the comment says no model reads them."""
    github = fake(
        {"README.md": ("old\n", "new\n"), "ci.yaml": ("a: 1\n", "a: 2\n"), "a.py": ("", "x = 1\n")}
    )
    report = review(github)
    assert report.non_python == ("README.md", "ci.yaml")
    assert "not linted (ruff reads Python; no language model is configured)" in report.comment
    assert "left to the model" not in report.comment
    assert "**No findings** on the changed lines" in report.comment


def test_repository_configuration_is_used_or_refused_with_the_reason() -> None:
    """A ruff.toml ignoring F401 is honoured; one that extends a file is not, and said."""
    files = {"pkg/mod.py": (BASE_MODULE, HEAD_MODULE)}
    github = fake(files)
    github.contents = {
        **github.contents,
        "ruff.toml": '[lint]\nselect = ["F"]\nignore = ["F401"]\n',
    }
    report = review(github)
    assert codes(report) == [("pkg/mod.py", 8, "F841")]
    assert report.lint_config == "ruff.toml"
    assert "the repository's `ruff.toml`" in report.comment

    github.contents = {**github.contents, "ruff.toml": 'extend = "../../etc/ruff.toml"\n'}
    refused = review(github)
    assert codes(refused) == EXPECTED
    assert refused.lint_config is None
    assert refused.lint_note is not None
    assert "extends another file" in refused.lint_note
    assert "the default rules were used instead" in refused.comment


def test_the_comment_is_edited_not_created_on_the_next_head() -> None:
    """First head: one comment created; a push: the same comment edited, still one."""
    github = fake({"pkg/mod.py": (BASE_MODULE, HEAD_MODULE)})
    first = asyncio.run(publish_review(github, review(github), settings=settings()))
    fixed = HEAD_MODULE.replace("import os\n", "")
    new_head = "c" * 40
    github.new_head(new_head, {"pkg/mod.py": fixed}, [pull_file("pkg/mod.py", BASE_MODULE, fixed)])
    second = asyncio.run(publish_review(github, review(github), settings=settings()))
    assert len(github.comments) == 1
    assert github.edits == [first.comment_id]
    assert second.comment_id == first.comment_id
    assert second.comment_url == first.comment_url
    assert new_head in github.comments[0].body
    assert (first.findings, second.findings) == (4, 3)


def test_inline_review_is_a_comment_on_changed_lines_capped() -> None:
    """One review, event COMMENT, at the head SHA, one inline comment per line, capped."""
    github = fake({"pkg/mod.py": (BASE_MODULE, HEAD_MODULE)})
    report = review(github)
    published = asyncio.run(
        publish_review(github, report, settings=settings(max_inline_comments=2))
    )
    (posted,) = github.reviews
    assert posted["event"] == "COMMENT"
    assert posted["commit_id"] == HEAD
    assert [(c.path, c.line) for c in posted["comments"]] == [("pkg/mod.py", 1), ("pkg/mod.py", 5)]
    assert "4 ruff findings" in posted["body"]
    assert published.comment_url in posted["body"]
    assert published.review_url is not None
    assert published.findings == 4


def test_a_review_published_again_for_its_head_is_not_posted_twice() -> None:
    """The review delivered again (its worker killed after the inline review was
    posted): the review's hidden marker names the head, so the same review is found and
    none is posted again; one comment."""
    github = fake({"pkg/mod.py": (BASE_MODULE, HEAD_MODULE)})
    report = review(github)
    first = asyncio.run(publish_review(github, report, settings=settings()))
    again = asyncio.run(publish_review(github, report, settings=settings()))
    (posted,) = github.reviews
    assert posted["body"].startswith(f"<!-- backbone-review:{HEAD} -->\n")
    assert again.review_url == first.review_url
    assert len(github.comments) == 1


def test_a_new_head_gets_a_new_inline_review() -> None:
    """A push: the new head's review is posted next to the old head's."""
    github = fake({"pkg/mod.py": (BASE_MODULE, HEAD_MODULE)})
    first = asyncio.run(publish_review(github, review(github), settings=settings()))
    fixed = HEAD_MODULE.replace("import os\n", "")
    new_head = "c" * 40
    github.new_head(new_head, {"pkg/mod.py": fixed}, [pull_file("pkg/mod.py", BASE_MODULE, fixed)])
    second = asyncio.run(publish_review(github, review(github), settings=settings()))
    assert [r["commit_id"] for r in github.reviews] == [HEAD, new_head]
    assert f"<!-- backbone-review:{new_head} -->" in github.reviews[1]["body"]
    assert second.review_url != first.review_url


def test_no_inline_review_when_disabled_or_clean() -> None:
    """inline_comments off, or no findings: the comment only."""
    github = fake({"pkg/mod.py": (BASE_MODULE, HEAD_MODULE)})
    off = asyncio.run(
        publish_review(github, review(github), settings=settings(inline_comments=False))
    )
    clean = fake({"a.py": ("x = 1\n", "x = 2\n")})
    quiet = asyncio.run(publish_review(clean, review(clean), settings=settings()))
    assert off.review_url is None
    assert quiet.review_url is None
    assert github.reviews == []
    assert clean.reviews == []
    assert "create_review" not in github.calls + clean.calls


def test_summary_is_json() -> None:
    """The job's result: counts per severity and rule, what was skipped, the engine."""
    report = review(fake({"pkg/mod.py": (BASE_MODULE, HEAD_MODULE), "x.md": ("a", "b")}))
    summary = json.loads(json.dumps(report.summary()))
    assert summary["findings"] == 4
    assert summary["by_severity"] == {"error": 3, "style": 1}
    assert summary["rules"] == {"B006": 1, "E711": 1, "F401": 1, "F841": 1}
    assert summary["non_python"] == ["x.md"]
    assert summary["engine"] == "local (deterministic tool runner, not a language model)"
    assert (summary["repo"], summary["number"], summary["head_sha"]) == ("octo-org/hello", 7, HEAD)


def test_a_head_that_is_not_a_sha_is_refused() -> None:
    """The head SHA goes into URLs and the prompt: anything but hex is refused."""
    github = fake({"a.py": ("", "x = 1\n")})
    github.pr = pull_request(head="main/../../x")
    with pytest.raises(ValueError, match="not a commit SHA"):
        snapshot_of(github)


def test_file_reader_answers_from_the_snapshot_then_github() -> None:
    """The tool's reader: snapshot files without a call; others at the head SHA; a
    missing file is FileNotFoundError; from a worker thread, on the caller's loop."""
    github = fake({"pkg/mod.py": (BASE_MODULE, HEAD_MODULE)})
    github.contents = {**github.contents, "docs/other.py": "print(1)\n"}

    async def scenario() -> tuple[str, str, str]:
        snapshot = await fetch_snapshot(github, REPO, 7, settings=settings())
        read = file_reader(github, snapshot, loop=asyncio.get_running_loop(), timeout=10)
        before = len(github.reads)
        cached = await asyncio.to_thread(read, "pkg/mod.py")
        assert len(github.reads) == before
        other = await asyncio.to_thread(read, "docs/other.py")
        with pytest.raises(FileNotFoundError, match=r"no file 'nope\.py'"):
            await asyncio.to_thread(read, "nope.py")
        return cached, other, github.reads[-1][1]

    cached, other, ref = asyncio.run(scenario())
    assert (cached, other, ref) == (HEAD_MODULE, "print(1)\n", HEAD)


def test_no_mention_in_any_rendered_text() -> None:
    """Code and paths with @octocat, @everyone, @org/team: nothing in the comment or the
    inline bodies can ping (every @ is followed by a zero-width joiner)."""
    head = "import os  # cc @octocat @everyone @org/team &#64;here\n@octocat\ndef f():\n    pass\n"
    github = fake({"team/@octocat.py": ("", head)}, title="@octocat please merge", body="@here")
    report = review(github)
    assert [f.code for f in report.findings] == ["F401", "E302", "F821"]
    github_settings = settings()
    asyncio.run(publish_review(github, report, settings=github_settings))
    texts = [github.comments[0].body, *(c.body for c in github.reviews[0]["comments"])]
    for text in texts:
        assert re.search(r"[@\uff20][A-Za-z0-9_]", text) is None, text
        assert "&#64;" not in text.replace("&amp;#64;", "")
    assert "@\u200doctocat" in github.comments[0].body
