"""What the review reads from and writes to GitHub, as the GitHub client returns it.

These are the fields the review uses, not GitHub's whole objects; the client maps
GitHub's JSON to them, and the fake GitHub (:mod:`backbone.mocks.github`) serves the
same JSON shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "InlineComment",
    "IssueComment",
    "PostedReview",
    "PullFile",
    "PullRequest",
    "RepoRef",
]

_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


@dataclass(frozen=True, slots=True)
class RepoRef:
    """A repository: ``owner/name``, validated (nothing else can reach a URL path)."""

    owner: str
    name: str

    def __post_init__(self) -> None:
        if not _OWNER.match(self.owner) or not _NAME.match(self.name) or self.name in {".", ".."}:
            raise ValueError(f"not a GitHub repository name: {self.owner!r}/{self.name!r}")

    @classmethod
    def parse(cls, full_name: str) -> RepoRef:
        """``"octo-org/hello-world"`` → ``RepoRef("octo-org", "hello-world")``."""
        owner, sep, name = full_name.partition("/")
        if not sep:
            raise ValueError(f"not OWNER/REPO: {full_name!r}")
        return cls(owner, name)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True, slots=True)
class PullRequest:
    """A pull request as the review needs it."""

    repo: RepoRef
    number: int
    title: str
    body: str
    draft: bool
    state: Literal["open", "closed"]
    head_sha: str
    base_sha: str
    author: str
    html_url: str


@dataclass(frozen=True, slots=True)
class PullFile:
    """One changed file of a pull request (``GET /repos/{o}/{r}/pulls/{n}/files``).

    ``patch`` is the unified diff hunk text GitHub gives (None for binary files and for
    diffs GitHub deems too large).
    """

    filename: str
    status: Literal["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"]
    additions: int
    deletions: int
    changes: int
    patch: str | None
    previous_filename: str | None = None


@dataclass(frozen=True, slots=True)
class IssueComment:
    """A comment on the pull request's conversation (an issue comment)."""

    id: int
    body: str
    html_url: str
    author: str


@dataclass(frozen=True, slots=True)
class InlineComment:
    """A review comment on one line of the head (``side: RIGHT``)."""

    path: str
    line: int
    body: str


@dataclass(frozen=True, slots=True)
class PostedReview:
    """A pull-request review as GitHub recorded it."""

    id: int
    html_url: str
