"""GitHub's JSON as pydantic models of the fields the review reads, and their mapping to
the data shapes of :mod:`._models`.

Unknown fields are ignored (GitHub adds fields); a field that is missing or of the wrong
type makes :func:`._http.parse` raise GitHubBadResponse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from backbone.review.github._models import (
    InlineComment,
    IssueComment,
    PostedReview,
    PullFile,
    PullRequest,
    RepoRef,
)

__all__ = [
    "COMMENT",
    "COMMENTS",
    "CONTENT",
    "FILES",
    "PULL",
    "REVIEW",
    "REVIEWS",
    "CommentJson",
    "ContentJson",
    "FileJson",
    "PullJson",
    "ReviewJson",
    "review_payload",
]

Sha = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{40}$")]
GHOST = "ghost"
"""GitHub's name for a deleted account (its ``user`` is null)."""


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _User(_Wire):
    login: str


class _Commit(_Wire):
    sha: Sha


class PullJson(_Wire):
    number: int = Field(ge=1)
    title: str
    body: str | None = None
    draft: bool = False
    state: Literal["open", "closed"]
    head: _Commit
    base: _Commit
    user: _User | None = None
    html_url: str

    def model(self, repo: RepoRef) -> PullRequest:
        return PullRequest(
            repo=repo,
            number=self.number,
            title=self.title,
            body=self.body or "",
            draft=self.draft,
            state=self.state,
            head_sha=self.head.sha,
            base_sha=self.base.sha,
            author=self.user.login if self.user else GHOST,
            html_url=self.html_url,
        )


class FileJson(_Wire):
    filename: str
    status: Literal["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"]
    additions: int
    deletions: int
    changes: int
    patch: str | None = None
    previous_filename: str | None = None

    def model(self) -> PullFile:
        return PullFile(
            filename=self.filename,
            status=self.status,
            additions=self.additions,
            deletions=self.deletions,
            changes=self.changes,
            patch=self.patch,
            previous_filename=self.previous_filename,
        )


class CommentJson(_Wire):
    id: int
    body: str | None = None
    html_url: str
    user: _User | None = None

    @property
    def author(self) -> str | None:
        """The author's login; None for a deleted account."""
        return self.user.login if self.user else None

    def model(self) -> IssueComment:
        return IssueComment(
            id=self.id,
            body=self.body or "",
            html_url=self.html_url,
            author=self.user.login if self.user else GHOST,
        )


class ReviewJson(_Wire):
    id: int
    html_url: str
    body: str | None = None
    commit_id: str | None = None
    user: _User | None = None

    @property
    def author(self) -> str | None:
        """The author's login; None for a deleted account."""
        return self.user.login if self.user else None

    def model(self) -> PostedReview:
        return PostedReview(id=self.id, html_url=self.html_url)


class ContentJson(_Wire):
    """``GET /contents/{path}`` for a file; a directory answers a list, which fails here."""

    type: str
    size: int = Field(ge=0)
    encoding: str | None = None
    content: str | None = None


PULL = TypeAdapter(PullJson)
FILES = TypeAdapter(list[FileJson])
COMMENT = TypeAdapter(CommentJson)
COMMENTS = TypeAdapter(list[CommentJson])
CONTENT = TypeAdapter(ContentJson)
REVIEW = TypeAdapter(ReviewJson)
REVIEWS = TypeAdapter(list[ReviewJson])


def review_payload(commit_id: str, body: str, comments: Sequence[InlineComment]) -> dict[str, Any]:
    """The JSON of ``POST /pulls/{n}/reviews``: event COMMENT, inline comments on RIGHT."""
    if not body.strip():
        raise ValueError("a review with event COMMENT needs a body")
    inline = []
    for comment in comments:
        if comment.line < 1:
            raise ValueError(f"an inline comment's line is >= 1, not {comment.line}")
        inline.append(
            {"path": comment.path, "line": comment.line, "side": "RIGHT", "body": comment.body}
        )
    return {"commit_id": commit_id, "body": body, "event": "COMMENT", "comments": inline}
