"""lint_python: real ruff on small files, exact codes and lines, changed-line filtering,
the repository's configuration honoured (or refused with a reason), ruff's failures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from backbone.review import lint
from backbone.review.lint import (
    Finding,
    LintConfigError,
    LintError,
    config_in_use,
    lint_python,
)
from backbone.review.rules import rule_hint

pytestmark = pytest.mark.timeout(60)

MODULE = """\
import os
import sys


def check(value, items=[]):
    if value == None:
        return sys.argv
    unused = 1
    return items
"""
LONG = "x = " + " + ".join(["1"] * 40) + "\n"  # 121 characters: over every default limit
EVERY_LINE = frozenset(range(1, 200))


def _codes(found: list[Finding]) -> list[tuple[str, int, str]]:
    return [(f.path, f.line, f.code) for f in found]


def test_default_rules_find_exact_codes_on_exact_lines() -> None:
    """F401 on 1, B006 on 5, E711 on 6, F841 on 8: pyflakes, bugbear and pycodestyle."""
    found = lint_python({"pkg/mod.py": MODULE}, changed={"pkg/mod.py": EVERY_LINE})
    assert _codes(found) == [
        ("pkg/mod.py", 1, "F401"),
        ("pkg/mod.py", 5, "B006"),
        ("pkg/mod.py", 6, "E711"),
        ("pkg/mod.py", 8, "F841"),
    ]
    first = found[0]
    assert (first.column, first.end_line, first.severity) == (8, 1, "error")
    assert first.message == "`os` imported but unused"
    assert first.rule_url == "https://docs.astral.sh/ruff/rules/unused-import"
    assert first.name == "unused-import"
    assert found[2].severity == "style"


def test_pep8_layout_simplify_and_complexity_are_in_the_default() -> None:
    """pycodestyle's whitespace and blank-line rules, SIM and C901 (over 10) are on."""
    branches = "".join(f"    if a == {i}:\n        return {i}\n" for i in range(11))
    text = f"def f(a):\n{branches}    return 0\nx=1\n"
    nested = "def g(a, b):\n    if a:\n        if b:\n            return 1\n    return 0\n"
    found = lint_python(
        {"c.py": text, "s.py": nested}, changed={"c.py": EVERY_LINE, "s.py": EVERY_LINE}
    )
    assert _codes(found) == [
        ("c.py", 1, "C901"),
        ("c.py", 25, "E225"),
        ("c.py", 25, "E305"),
        ("s.py", 2, "SIM102"),
    ]
    assert found[0].message == "`f` is too complex (12 > 10)"
    assert [f.severity for f in found] == ["refactor", "style", "style", "refactor"]


def test_only_findings_on_changed_lines_are_kept() -> None:
    """Lines 5 and 8 changed: B006 and F841 stay, F401 and E711 are older than the PR."""
    found = lint_python({"pkg/mod.py": MODULE}, changed={"pkg/mod.py": frozenset({5, 8})})
    assert _codes(found) == [("pkg/mod.py", 5, "B006"), ("pkg/mod.py", 8, "F841")]


def test_a_file_without_changed_lines_keeps_nothing() -> None:
    """A file absent from ``changed`` has no changed lines: none of its findings count."""
    assert lint_python({"pkg/mod.py": MODULE}, changed={}) == []


def test_sorted_by_path_then_line_then_code() -> None:
    """Findings of several files come sorted by path, line, code."""
    files = {"b.py": "import os\n", "a.py": "import sys\nx=1\n"}
    found = lint_python(files, changed={"a.py": EVERY_LINE, "b.py": EVERY_LINE})
    assert _codes(found) == [("a.py", 1, "F401"), ("a.py", 2, "E225"), ("b.py", 1, "F401")]


def test_syntax_error_is_an_error_finding() -> None:
    """A file that does not parse gives ``invalid-syntax`` findings of severity error."""
    found = lint_python({"broken.py": "def f(:\n    pass\n"}, changed={"broken.py": EVERY_LINE})
    assert {f.code for f in found} == {"invalid-syntax"}
    assert {f.severity for f in found} == {"error"}
    assert found[0].line == 1


def test_new_syntax_is_not_an_error_by_default() -> None:
    """``match`` and ``type`` statements parse: the default targets the newest Python."""
    text = (
        "def f(x):\n    match x:\n        case 1:\n            return 1\n    return 0\n"
        "\n\ntype N = int\n"
    )
    assert lint_python({"new.py": text}, changed={"new.py": EVERY_LINE}) == []


def test_repository_ruff_toml_is_honoured() -> None:
    """A ruff.toml that ignores E501 hides the long line the default would report."""
    files = {"app.py": LONG}
    changed = {"app.py": EVERY_LINE}
    assert _codes(lint_python(files, changed=changed)) == [("app.py", 1, "E501")]
    config = {"ruff.toml": 'line-length = 79\n[lint]\nselect = ["E", "F"]\nignore = ["E501"]\n'}
    assert lint_python(files, changed=changed, config_files=config) == []


def test_pyproject_tool_ruff_is_honoured_and_a_bare_pyproject_is_not_a_config() -> None:
    """``[tool.ruff]`` in pyproject.toml is the configuration; without it, the default."""
    changed = {"app.py": EVERY_LINE}
    text = "import os\n" + LONG
    selected = {"pyproject.toml": '[project]\nname = "x"\n[tool.ruff.lint]\nselect = ["E501"]\n'}
    assert _codes(lint_python({"app.py": text}, changed=changed, config_files=selected)) == [
        ("app.py", 2, "E501")
    ]
    bare = {"pyproject.toml": '[project]\nname = "x"\n'}
    assert config_in_use(bare) is None
    found = lint_python({"app.py": text}, changed=changed, config_files=bare)
    assert _codes(found) == [("app.py", 1, "F401"), ("app.py", 2, "E501")]


def test_dot_ruff_toml_comes_first_as_in_ruff() -> None:
    """With .ruff.toml, ruff.toml and pyproject.toml, ruff's precedence picks .ruff.toml."""
    configs = {
        "pyproject.toml": '[tool.ruff.lint]\nselect = ["E501"]\n',
        "ruff.toml": '[lint]\nselect = ["E501"]\n',
        ".ruff.toml": '[lint]\nselect = ["F401"]\n',
    }
    assert config_in_use(configs) == ".ruff.toml"
    found = lint_python(
        {"a.py": "import os\n" + LONG}, changed={"a.py": EVERY_LINE}, config_files=configs
    )
    assert _codes(found) == [("a.py", 1, "F401")]


def test_repository_excludes_hold_for_named_files() -> None:
    """A path the repository's configuration excludes is not linted."""
    config = {"ruff.toml": 'extend-exclude = ["generated"]\n[lint]\nselect = ["F"]\n'}
    files = {"generated/api.py": "import os\n", "app.py": "import os\n"}
    changed = dict.fromkeys(files, EVERY_LINE)
    assert _codes(lint_python(files, changed=changed, config_files=config)) == [
        ("app.py", 1, "F401")
    ]


@pytest.mark.parametrize(
    "config",
    [
        {"ruff.toml": 'extend = "/etc/passwd"\n'},
        {".ruff.toml": 'extend = "../../outside.toml"\n'},
        {"pyproject.toml": '[tool.ruff]\nextend = "base.toml"\n'},
    ],
)
def test_extend_is_refused_so_nothing_outside_is_read(config: dict[str, str]) -> None:
    """``extend`` (ruff would read another file, maybe outside) is a LintConfigError."""
    with pytest.raises(LintConfigError, match="extends another file"):
        lint_python({"a.py": "x = 1\n"}, changed={"a.py": EVERY_LINE}, config_files=config)


@pytest.mark.parametrize(
    ("config", "why"),
    [
        ({"ruff.toml": "line-length = [oops\n"}, "not valid TOML"),
        ({"ruff.toml": "no-such-option = 1\n"}, "ruff failed"),
        ({"ruff.toml": 'required-version = ">=99"\n'}, "ruff failed"),
    ],
)
def test_a_configuration_ruff_rejects_is_a_config_error(config: dict[str, str], why: str) -> None:
    """Bad TOML, an unknown option, a required version: LintConfigError, with ruff's words."""
    with pytest.raises(LintConfigError, match=why) as caught:
        lint_python({"a.py": "x = 1\n"}, changed={"a.py": EVERY_LINE}, config_files=config)
    assert "backbone-lint-" not in str(caught.value)  # the scratch directory is not named


@pytest.mark.parametrize(
    "path",
    [
        "../escape.py",
        "/etc/x.py",
        "a/../../b.py",
        "a/./b.py",
        "a//b.py",
        "nul\x00.py",
        "line\nbreak.py",
        "x.txt",
    ],
)
def test_unsafe_or_non_python_paths_are_refused(path: str) -> None:
    """Absolute, ``..``, ``.``, empty parts, control characters, non-Python: ValueError
    before any write."""
    with pytest.raises(ValueError, match=r"path|Python"):
        lint_python({path: "x = 1\n"}, changed={path: EVERY_LINE})


def test_no_files_runs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing to lint: an empty answer, and ruff is not started."""
    monkeypatch.setattr(lint, "RUFF", ("/nonexistent/ruff",))
    assert lint_python({}, changed={}) == []


def _fake_ruff(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    monkeypatch.setattr(lint, "RUFF", (sys.executable, "-c", code))


def test_a_ruff_that_hangs_is_stopped_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """ruff running past ``timeout`` is killed: LintError says so."""
    _fake_ruff(monkeypatch, "import time; time.sleep(60)")
    with pytest.raises(LintError, match=r"did not finish within 0\.5 s"):
        lint_python({"a.py": "x = 1\n"}, changed={"a.py": EVERY_LINE}, timeout=0.5)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("print('this is not json')", "not JSON"),
        ("print('{\"a\": 1}')", "not a list"),
        ('print(\'[{"code": "F401"}]\')', "unexpected finding"),
        ("import sys; sys.stderr.write('boom'); sys.exit(2)", "exit status 2.*boom"),
    ],
)
def test_garbage_or_failure_from_ruff_is_a_lint_error(
    monkeypatch: pytest.MonkeyPatch, code: str, why: str
) -> None:
    """Output that is not ruff's JSON, or a failing ruff: LintError, never a crash."""
    _fake_ruff(monkeypatch, code)
    with pytest.raises(LintError, match=why) as caught:
        lint_python({"a.py": "x = 1\n"}, changed={"a.py": EVERY_LINE})
    assert not isinstance(caught.value, LintConfigError)  # the default rules were in use


def test_ruff_missing_is_a_lint_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ruff that cannot be started: LintError."""
    monkeypatch.setattr(lint, "RUFF", ("/nonexistent/ruff",))
    with pytest.raises(LintError, match="could not be started"):
        lint_python({"a.py": "x = 1\n"}, changed={"a.py": EVERY_LINE})


def test_ruff_gets_no_secret_of_this_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The subprocess sees PATH and an empty home, not this process's tokens."""
    monkeypatch.setenv("BACKBONE_REVIEW_GITHUB_TOKEN", "ghp_shouldnotleak0123456789")
    seen = tmp_path / "env.json"
    code = (
        f"import json, os; open({str(seen)!r}, 'w').write(json.dumps(dict(os.environ)));"
        " print('[]')"
    )
    _fake_ruff(monkeypatch, code)
    assert lint_python({"a.py": "x = 1\n"}, changed={"a.py": EVERY_LINE}) == []
    environment = json.loads(seen.read_text())
    assert "ghp_shouldnotleak0123456789" not in json.dumps(environment)
    assert "backbone-lint-" in environment["HOME"]


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("F401", "error"),
        ("B006", "error"),
        ("E711", "style"),
        ("W291", "style"),
        ("E999", "error"),
        ("SIM108", "refactor"),
        ("C901", "refactor"),
        ("C401", "refactor"),
        ("ERA001", "warning"),  # eradicate: not pycodestyle's E
        ("S101", "warning"),
        ("invalid-syntax", "error"),
    ],
)
def test_severity_per_rule_family(code: str, severity: str) -> None:
    """Severities come from the longest prefix with the same letters."""
    assert rule_hint(code).severity == severity
