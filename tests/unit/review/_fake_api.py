"""A fake of the ``GitHubApi`` protocol for the review engine's tests: one repository,
pull requests built from (base, head) texts with real unified-diff patches, and a
record of every call, comment and review."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from backbone.review.github._errors import GitHubNotFound
from backbone.review.github._models import (
    InlineComment,
    IssueComment,
    PostedReview,
    PullFile,
    PullRequest,
    RepoRef,
)

REPO = RepoRef("octo-org", "hello")
HEAD = "a" * 40
BASE = "b" * 40


def not_found(what: str) -> GitHubNotFound:
    """What the real client raises for a 404."""
    return GitHubNotFound(f"404 Not Found: {what}", status=404)


def patch(base: str | None, head: str | None) -> str:
    """GitHub's ``patch`` for a change from ``base`` to ``head`` (hunks only, no header)."""
    before = (base or "").splitlines()
    after = (head or "").splitlines()
    lines = list(difflib.unified_diff(before, after, lineterm="", n=3))
    return "\n".join(lines[2:])  # GitHub leaves out the ---/+++ lines


def pull_file(path: str, base: str | None, head: str | None, **overrides: Any) -> PullFile:
    """A changed file whose patch and counts come from its two texts."""
    text = patch(base, head)
    added = sum(1 for line in text.splitlines() if line.startswith("+"))
    removed = sum(1 for line in text.splitlines() if line.startswith("-"))
    status = "added" if base is None else "removed" if head is None else "modified"
    options: dict[str, Any] = {
        "filename": path,
        "status": status,
        "additions": added,
        "deletions": removed,
        "changes": added + removed,
        "patch": text,
        **overrides,
    }
    return PullFile(**options)


def pull_request(
    *, title: str = "Add a check", body: str = "", head: str = HEAD, number: int = 7
) -> PullRequest:
    """A pull request of :data:`REPO` on github.com."""
    return PullRequest(
        repo=REPO,
        number=number,
        title=title,
        body=body,
        draft=False,
        state="open",
        head_sha=head,
        base_sha=BASE,
        author="contributor",
        html_url=f"https://github.com/{REPO.full_name}/pull/{number}",
    )


@dataclass
class FakeGitHub:
    """The protocol's calls over in-memory data; ``contents`` is the head's files."""

    pr: PullRequest
    files: Sequence[PullFile]
    contents: Mapping[str, str]
    calls: list[str] = field(default_factory=list)
    reads: list[tuple[str, str]] = field(default_factory=list)
    comments: list[IssueComment] = field(default_factory=list)
    edits: list[int] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    login: str = "backbone-bot"
    """The account the fake's client writes as; others' comments are never its own."""

    async def pull_request(self, repo: RepoRef, number: int) -> PullRequest:
        self.calls.append("pull_request")
        assert (repo, number) == (self.pr.repo, self.pr.number)
        return self.pr

    async def pull_request_files(
        self, repo: RepoRef, number: int, *, limit: int = 3000
    ) -> list[PullFile]:
        self.calls.append("pull_request_files")
        return list(self.files)[:limit]

    async def file_text(self, repo: RepoRef, path: str, *, ref: str) -> str:
        self.calls.append("file_text")
        self.reads.append((path, ref))
        if repo != self.pr.repo or ref != self.pr.head_sha or path not in self.contents:
            raise not_found(f"{repo.full_name}/{path}@{ref}")
        return self.contents[path]

    async def find_comment(self, repo: RepoRef, number: int, *, marker: str) -> IssueComment | None:
        self.calls.append("find_comment")
        return next((c for c in self.comments if self._own(c, marker)), None)

    def _own(self, comment: IssueComment, marker: str) -> bool:
        return marker in comment.body and comment.author == self.login

    async def upsert_comment(
        self, repo: RepoRef, number: int, *, marker: str, body: str
    ) -> IssueComment:
        self.calls.append("upsert_comment")
        assert body.startswith(marker)
        for index, existing in enumerate(self.comments):
            if self._own(existing, marker):
                edited = IssueComment(existing.id, body, existing.html_url, existing.author)
                self.comments[index] = edited
                self.edits.append(existing.id)
                return edited
        number_of = len(self.comments) + 1
        url = f"{self.pr.html_url}#issuecomment-{number_of}"
        created = IssueComment(number_of, body, url, self.login)
        self.comments.append(created)
        return created

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
        self.calls.append("create_review")
        assert marker is None or marker in body
        for review_id, posted in enumerate(self.reviews, start=1):
            if marker is not None and posted["commit_id"] == commit_id and marker in posted["body"]:
                return self._posted(review_id)
        # The protocol has no event parameter: the real client always sends COMMENT.
        self.reviews.append(
            {"event": "COMMENT", "commit_id": commit_id, "body": body, "comments": list(comments)}
        )
        return self._posted(len(self.reviews))

    def _posted(self, review_id: int) -> PostedReview:
        return PostedReview(review_id, f"{self.pr.html_url}#pullrequestreview-{review_id}")

    def new_head(
        self, head_sha: str, contents: Mapping[str, str], files: Sequence[PullFile]
    ) -> None:
        """A push: the pull request moves to ``head_sha``."""
        pr = self.pr
        self.pr = PullRequest(
            pr.repo,
            pr.number,
            pr.title,
            pr.body,
            pr.draft,
            pr.state,
            head_sha,
            pr.base_sha,
            pr.author,
            pr.html_url,
        )
        self.contents = contents
        self.files = files
