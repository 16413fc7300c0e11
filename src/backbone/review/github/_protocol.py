"""What the review needs of GitHub, as a protocol: :class:`GitHubClient` is the real one;
tests of the review's logic pass a fake object with the same methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from backbone.review.github._models import (
    InlineComment,
    IssueComment,
    PostedReview,
    PullFile,
    PullRequest,
    RepoRef,
)

__all__ = ["GitHubApi"]


class GitHubApi(Protocol):
    """The GitHub calls of one review (every one authenticated, rate limits honoured)."""

    async def pull_request(self, repo: RepoRef, number: int) -> PullRequest:
        """``GET /repos/{owner}/{repo}/pulls/{number}``."""
        ...

    async def pull_request_files(
        self, repo: RepoRef, number: int, *, limit: int = 3000
    ) -> list[PullFile]:
        """Every changed file, paginated (100 a page), at most ``limit`` (GitHub: 3,000)."""
        ...

    async def file_text(self, repo: RepoRef, path: str, *, ref: str) -> str:
        """A file's text at ``ref`` (``GET /repos/{o}/{r}/contents/{path}?ref=``: base64,
        or the raw media type for files over 1 MB); UTF-8, undecodable bytes replaced."""
        ...

    async def find_comment(self, repo: RepoRef, number: int, *, marker: str) -> IssueComment | None:
        """The first issue comment on the pull request whose body contains ``marker``,
        written by the client's own account (anyone can write a marker)."""
        ...

    async def upsert_comment(
        self, repo: RepoRef, number: int, *, marker: str, body: str
    ) -> IssueComment:
        """Edit the client's own comment that carries ``marker`` (``PATCH``), or create it
        (``POST``) when there is none: one comment per pull request, whatever is retried;
        someone else's marked comment is never edited."""
        ...

    async def create_review(
        self,
        repo: RepoRef,
        number: int,
        *,
        commit_id: str,
        body: str,
        comments: Sequence[InlineComment],
        marker: str | None = None,
    ) -> PostedReview:
        """``POST /repos/{o}/{r}/pulls/{n}/reviews`` with ``event: COMMENT`` (never approve
        or request changes) and inline comments on the head (``side: RIGHT``).

        With ``marker`` (which ``body`` must contain), the client's own review of
        ``commit_id`` carrying it is returned instead of posting another: one review per
        marker and commit, however often the review is delivered."""
        ...
