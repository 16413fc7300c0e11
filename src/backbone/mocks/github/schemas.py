"""Request bodies: the fake's own ``/_fake/`` controls, and the GitHub ones it accepts.

GitHub's bodies are validated by :func:`backbone.mocks.github.routes._http.parse_body`,
which answers as GitHub does (400 "Problems parsing JSON", 422 "Invalid request.").
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from backbone.mocks._common import JsonInt

REPO_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$"
LOGIN_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$"
REF_PATTERN = r"^[A-Za-z0-9._/-]{1,200}$"
MAX_COMMENT_CHARS = 65536
"""GitHub refuses a comment body longer than this."""


def _file_path(path: str) -> str:
    parts = path.split("/")
    if not path or path.startswith("/") or any(part in {"", ".", ".."} for part in parts):
        raise ValueError(f"not a relative file path: {path!r}")
    return path


FilePath = Annotated[str, AfterValidator(_file_path)]


# -- the fake's controls ---------------------------------------------------------------


class PullSpec(BaseModel):
    """``POST /_fake/pulls``: a pull request, its base tree and its head tree.

    ``base_files`` and ``head_files`` are whole trees: a path in the base and not in the
    head is removed by the pull request.
    """

    model_config = ConfigDict(extra="forbid")

    repo: str = Field(pattern=REPO_PATTERN, examples=["octo-org/hello-world"])
    number: JsonInt = Field(ge=1, le=1_000_000)
    title: str = Field(default="A pull request", min_length=1, max_length=256)
    body: str | None = None
    draft: bool = False
    state: Literal["open", "closed"] = "open"
    author: str = Field(default="octocat", pattern=LOGIN_PATTERN)
    author_type: Literal["User", "Bot"] = "User"
    base_ref: str = Field(default="main", pattern=REF_PATTERN)
    head_ref: str | None = Field(default=None, pattern=REF_PATTERN)
    """The head branch; ``pr-<number>`` when left out."""
    base_files: dict[FilePath, str] = Field(default_factory=dict)
    head_files: dict[FilePath, str] = Field(default_factory=dict)


class PushSpec(BaseModel):
    """``POST /_fake/pulls/{owner}/{repo}/{number}/push``: changes on top of the head."""

    model_config = ConfigDict(extra="forbid")

    files: dict[FilePath, str | None] = Field(
        description="New content per path; null deletes the file."
    )


class CommentSpec(BaseModel):
    """``POST /_fake/pulls/{owner}/{repo}/{number}/comments``: a comment by someone else."""

    model_config = ConfigDict(extra="forbid")

    author: str = Field(pattern=LOGIN_PATTERN, examples=["mallory"])
    body: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS)


class RateLimitSpec(BaseModel):
    """``POST /_fake/rate-limit``: the next ``requests`` GitHub requests are rate limited."""

    model_config = ConfigDict(extra="forbid")

    requests: JsonInt = Field(default=1, ge=1, le=10_000)
    status: Literal[403, 429] = 403
    reset_after: JsonInt = Field(default=60, ge=0, le=86_400)
    """``x-ratelimit-reset`` is now plus this (a primary rate limit)."""
    retry_after: JsonInt | None = Field(default=None, ge=0, le=86_400)
    """When set, a secondary rate limit: ``Retry-After`` with this many seconds."""


class FailSpec(BaseModel):
    """``POST /_fake/fail``: the next ``requests`` GitHub requests answer ``status``."""

    model_config = ConfigDict(extra="forbid")

    requests: JsonInt = Field(default=1, ge=1, le=10_000)
    status: Literal[500, 502, 503] = 503


# -- GitHub's bodies -------------------------------------------------------------------


class CommentBody(BaseModel):
    """``POST /issues/{n}/comments`` and ``PATCH /issues/comments/{id}``."""

    body: StrictStr


class ReviewCommentBody(BaseModel):
    """One inline comment of a review: ``line``/``side`` (or the older ``position``)."""

    path: StrictStr
    body: StrictStr
    line: StrictInt | None = None
    side: Literal["LEFT", "RIGHT"] | None = None
    start_line: StrictInt | None = None
    start_side: Literal["LEFT", "RIGHT"] | None = None
    position: StrictInt | None = None


class ReviewBody(BaseModel):
    """``POST /pulls/{n}/reviews``."""

    commit_id: StrictStr | None = None
    body: StrictStr | None = None
    event: Literal["APPROVE", "REQUEST_CHANGES", "COMMENT"] | None = None
    comments: list[ReviewCommentBody] = Field(default_factory=list)


class AccessTokenBody(BaseModel):
    """``POST /app/installations/{id}/access_tokens`` (its scoping is accepted, not applied)."""

    repositories: list[StrictStr] | None = None
    repository_ids: list[StrictInt] | None = None
    permissions: dict[str, StrictStr] | None = None
