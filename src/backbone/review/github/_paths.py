"""The URL paths of the client, built only from validated parts.

A :class:`RepoRef` is validated when made; a number must be a positive integer, a
ref a 40-hex commit SHA, a repository path relative and harmless. Each refusal is a
ValueError raised before any request.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from backbone.review.github._models import RepoRef

__all__ = ["commit_sha", "content_path", "issue_path", "pull_path", "repo_path"]

_SHA = re.compile(r"[0-9a-fA-F]{40}")
_UNSAFE_PATH = re.compile(r"[\x00-\x1f\x7f\\]")
_MAX_PATH = 4096


def content_path(path: str) -> str:
    """A repository path, percent-encoded segment by segment for a URL.

    ValueError for a path that could leave the contents API: empty, absolute, with
    ``.``/``..`` or empty segments, a backslash or a control character (NUL included).
    """
    segments = path.split("/")
    if (
        not path
        or len(path) > _MAX_PATH
        or _UNSAFE_PATH.search(path)
        or any(segment in {"", ".", ".."} for segment in segments)
    ):
        raise ValueError(f"not a relative repository path: {path[:200]!r}")
    return "/".join(quote(segment, safe="") for segment in segments)


def commit_sha(value: str, name: str = "ref") -> str:
    """``value`` if it is a 40-hex commit SHA, else ValueError."""
    if not isinstance(value, str) or not _SHA.fullmatch(value):
        raise ValueError(f"{name} must be a 40-hex commit SHA, not {str(value)[:80]!r}")
    return value


def repo_path(repo: RepoRef) -> str:
    """``/repos/{owner}/{name}``."""
    return f"/repos/{repo.owner}/{repo.name}"


def _number(number: int) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"a pull request number is a positive integer, not {number!r}")
    return number


def pull_path(repo: RepoRef, number: int) -> str:
    """``/repos/{owner}/{name}/pulls/{number}``."""
    return f"{repo_path(repo)}/pulls/{_number(number):d}"


def issue_path(repo: RepoRef, number: int) -> str:
    """``/repos/{owner}/{name}/issues/{number}`` (a pull request is an issue too)."""
    return f"{repo_path(repo)}/issues/{_number(number):d}"
