"""Findings a linter can prove: ruff on the changed Python files, kept on changed lines.

:func:`lint_python` writes the files into a fresh temporary directory at their own
paths and runs ``python -m ruff check --output-format=json`` there (a subprocess, no
shell, an environment with no secret in it, a timeout). The configuration is the
repository's own when it has one at its root — ``.ruff.toml``, ``ruff.toml`` or a
``pyproject.toml`` with a ``[tool.ruff]`` table, in ruff's own order of precedence —
else ``--isolated`` with :data:`~backbone.review.rules.DEFAULT_RULES`.

A repository's configuration is read by ruff as written, with one refusal: ``extend``
(which would make ruff read another file, possibly outside the temporary directory) is
:class:`LintConfigError`, like a configuration ruff itself rejects; the caller then
lints with the default rules and says so.

Errors::

    LintError               ruff missing, failed, timed out, or answered garbage
    └── LintConfigError     the repository's configuration cannot be used
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from backbone.review._paths import check_path
from backbone.review.rules import (
    DEFAULT_MAX_COMPLEXITY,
    DEFAULT_PREVIEW_RULES,
    DEFAULT_RULES,
    DEFAULT_TARGET_VERSION,
    RULE_HINTS,
    SYNTAX_ERROR,
    Severity,
    rule_hint,
)

__all__ = [
    "CONFIG_NAMES",
    "DEFAULT_RULES",
    "PYTHON_SUFFIXES",
    "RUFF",
    "RULE_HINTS",
    "Finding",
    "LintConfigError",
    "LintError",
    "config_in_use",
    "is_python",
    "lint_python",
]

logger = logging.getLogger(__name__)

RUFF: tuple[str, ...] = (sys.executable, "-m", "ruff")
"""How ruff is started: the one installed beside this Python (pinned with the package)."""
CONFIG_NAMES: tuple[str, ...] = (".ruff.toml", "ruff.toml", "pyproject.toml")
"""Root configuration files, in ruff's order of precedence."""
PYTHON_SUFFIXES: tuple[str, ...] = (".py", ".pyi")
_NO_CONFIG: Mapping[str, str] = MappingProxyType({})
_STDERR_LINES = 5  # of ruff's error output, in an exception's message


class LintError(RuntimeError):
    """ruff could not lint the files: missing, failed, timed out, or answered garbage."""


class LintConfigError(LintError):
    """The repository's ruff configuration cannot be used (lint with the default)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One ruff finding on a changed line of the head."""

    path: str
    line: int
    column: int
    end_line: int
    code: str
    message: str
    severity: Severity
    rule_url: str | None
    name: str | None = None
    """ruff's name of the rule (``unused-import``), when it gives one."""


def is_python(path: str) -> bool:
    """Whether the review lints ``path`` (``.py`` and ``.pyi`` files)."""
    return path.endswith(PYTHON_SUFFIXES)


def config_in_use(config_files: Mapping[str, str]) -> str | None:
    """The name of the root configuration ruff would use among ``config_files``."""
    for name in CONFIG_NAMES:
        text = config_files.get(name)
        if text is None:
            continue
        if name != "pyproject.toml" or _ruff_table(name, text) is not None:
            return name
    return None


def _ruff_table(name: str, text: str) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LintConfigError(f"{name} is not valid TOML: {exc}") from exc
    if name != "pyproject.toml":
        return data
    tool = data.get("tool")
    table = tool.get("ruff") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _config_args(config_files: Mapping[str, str], repo: Path) -> list[str]:
    name = config_in_use(config_files)
    if name is None:
        return [
            "--isolated",
            "--preview",
            f"--target-version={DEFAULT_TARGET_VERSION}",
            f"--select={','.join(DEFAULT_RULES)}",
            f"--extend-select={','.join(DEFAULT_PREVIEW_RULES)}",
            "--config=lint.explicit-preview-rules = true",
            f"--config=lint.mccabe.max-complexity = {DEFAULT_MAX_COMPLEXITY}",
        ]
    text = config_files[name]
    table = _ruff_table(name, text) or {}
    if "extend" in table:
        raise LintConfigError(
            f"{name} extends another file (`extend`), which the review does not read"
        )
    (repo / name).write_text(text, encoding="utf-8")
    # --force-exclude: the repository's exclude lists hold for files named on the line too.
    return [f"--config={repo / name}", "--force-exclude"]


def _write(repo: Path, files: Mapping[str, str]) -> list[str]:
    paths = []
    for path, text in files.items():
        check_path(path)
        if not is_python(path):
            raise ValueError(f"not a Python file: {path!r}")
        target = repo / path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", errors="replace")
        except OSError as exc:
            raise LintError(f"cannot write {path!r} for ruff: {exc.strerror}") from exc
        paths.append(path)
    return paths


def _environment(home: Path) -> dict[str, str]:
    """PATH and an empty home: no token or key of this process, no user ruff.toml."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "NO_COLOR": "1",
    }


def _run_ruff(
    repo: Path, home: Path, args: Sequence[str], *, timeout: float, repo_config: bool
) -> Any:
    command = [*RUFF, "check", "--output-format=json", "--no-cache", "--exit-zero", *args]
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program, arguments as a list
            command,
            cwd=repo,
            env=_environment(home),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise LintError(f"ruff did not finish within {timeout:g} s") from exc
    except OSError as exc:
        raise LintError(f"ruff could not be started: {exc.strerror}") from exc
    stderr = done.stderr.decode("utf-8", "replace").replace(f"{repo}{os.sep}", "")
    if done.returncode != 0:
        why = "\n".join(stderr.strip().splitlines()[:_STDERR_LINES]) or "no message"
        # With the default rules, a failure is ruff's; with the repository's, most likely
        # the configuration's (an unknown option, a required-version): the caller decides.
        error = LintConfigError if repo_config else LintError
        raise error(f"ruff failed (exit status {done.returncode}): {why}")
    try:
        return json.loads(done.stdout)
    except ValueError as exc:
        raise LintError("ruff's answer is not JSON") from exc


def _finding(item: Any, repo: Path) -> Finding:
    code = item.get("code") or SYNTAX_ERROR
    return Finding(
        path=Path(item["filename"]).relative_to(repo).as_posix(),
        line=int(item["location"]["row"]),
        column=int(item["location"]["column"]),
        end_line=int(item["end_location"]["row"]),
        code=str(code),
        message=str(item["message"]),
        severity=rule_hint(code).severity,
        rule_url=item.get("url") or None,
        name=item.get("name") or None,
    )


def _findings(answer: Any, repo: Path) -> list[Finding]:
    if not isinstance(answer, list):
        raise LintError("ruff's answer is not a list of findings")
    try:
        return [_finding(item, repo) for item in answer]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise LintError(f"ruff's answer has an unexpected finding: {exc!r}") from exc


def lint_python(
    files: Mapping[str, str],
    *,
    changed: Mapping[str, frozenset[int]],
    config_files: Mapping[str, str] = _NO_CONFIG,
    timeout: float = 60,
) -> list[Finding]:
    """ruff's findings on ``files`` (path → text) that fall on their ``changed`` lines,
    sorted by path, line and code.

    ``config_files`` holds the text of the repository's root configuration files that
    exist (by name, see :data:`CONFIG_NAMES`). Raises ValueError for a path that is not
    a relative Python path inside the repository, LintConfigError when the
    configuration cannot be used, LintError when ruff cannot lint.
    """
    if not files:
        return []
    config = config_in_use(config_files)
    with tempfile.TemporaryDirectory(prefix="backbone-lint-") as scratch:
        root = Path(scratch).resolve()
        repo, home = root / "repo", root / "home"
        repo.mkdir()
        home.mkdir()
        args = [*_config_args(config_files, repo), "--", *_write(repo, files)]
        answer = _run_ruff(repo, home, args, timeout=timeout, repo_config=config is not None)
        found = _findings(answer, repo)
    kept = [f for f in found if f.line in changed.get(f.path, frozenset())]
    kept.sort(key=lambda f: (f.path, f.line, f.code, f.column, f.message))
    logger.info(
        "lint_done files=%d findings=%d on_changed_lines=%d config=%s",
        len(files),
        len(found),
        len(kept),
        config or "default",
    )
    return kept
