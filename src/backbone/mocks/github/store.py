"""The fake GitHub's state: repositories with their commits, branches and pull requests;
issue comments, reviews and review comments; the traffic and the tokens.

Every method is plain synchronous code, called from ``async def`` routes: on uvicorn's
one event loop a call runs to its end before another request's code does, so no lock is
needed (and none could be held across an ``await``, since nothing here awaits).

Commits are immutable snapshots ``path → bytes`` kept by id for good, so every commit a
pull request ever had (its base, each of its heads) stays readable after a push.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from backbone.mocks.github import seed
from backbone.mocks.github.auth import InstallationTokens
from backbone.mocks.github.errors import GitHubError, not_found
from backbone.mocks.github.gitdiff import FileChange, Snapshot, commit_sha, file_changes
from backbone.mocks.github.schemas import PullSpec
from backbone.mocks.github.traffic import Clock, Traffic

CONTENTS_DOCS = "https://docs.github.com/rest/repos/contents#get-repository-content"
MAX_LISTED_FILES = 3000
"""GitHub lists at most this many files of a pull request."""
SEEDED_AT = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class Pull:
    """A pull request; ``heads`` lists every head it had, the current one last."""

    number: int
    id: int
    title: str
    body: str | None
    draft: bool
    state: Literal["open", "closed"]
    author: str
    author_type: Literal["User", "Bot"]
    base_ref: str
    head_ref: str
    base_sha: str
    heads: list[str]
    created_at: datetime
    updated_at: datetime

    @property
    def head_sha(self) -> str:
        return self.heads[-1]


@dataclass(slots=True)
class Repository:
    """A repository: commits by id, branch heads, pull requests by number."""

    owner: str
    name: str
    id: int
    commits: dict[str, Snapshot] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)
    default_branch: str = "main"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(slots=True)
class IssueComment:
    id: int
    repo: str
    number: int
    body: str
    author: str
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class Review:
    id: int
    repo: str
    number: int
    body: str
    state: str
    commit_id: str
    author: str
    submitted_at: datetime | None


@dataclass(slots=True)
class ReviewComment:
    id: int
    review_id: int
    repo: str
    number: int
    path: str
    body: str
    commit_id: str
    line: int
    side: str
    start_line: int | None
    start_side: str | None
    position: int
    diff_hunk: str
    author: str
    created_at: datetime


def _encoded(files: Mapping[str, str]) -> dict[str, bytes]:
    return {path: text.encode("utf-8") for path, text in files.items()}


class FakeGitHub:
    """One fake's whole state; :meth:`reset` brings back the seed."""

    def __init__(self, *, bot_login: str, rate_limit: int, clock: Clock | None = None) -> None:
        self.bot_login = bot_login
        self.clock = clock or Clock()
        self.traffic = Traffic(limit=rate_limit, clock=self.clock)
        self.tokens = InstallationTokens(self.clock)
        self.reset()

    def reset(self) -> None:
        """Only the seeded repository and pull request; no comments, no traffic."""
        self.repos: dict[str, Repository] = {}
        self.comments: dict[int, IssueComment] = {}
        self.reviews: dict[int, Review] = {}
        self.review_comments: dict[int, ReviewComment] = {}
        self._ids = itertools.count(1)
        self._diffs: dict[tuple[str, str, str], list[FileChange]] = {}
        self.traffic.reset()
        self.put_pull(seed_spec(), at=SEEDED_AT)

    def new_id(self) -> int:
        """An id no other record of this fake has (comments, reviews... share one count)."""
        return next(self._ids)

    def now(self) -> datetime:
        return datetime.fromtimestamp(int(self.clock.now()), UTC)

    # -- repositories and pull requests ------------------------------------------------

    def repo(self, owner: str, name: str) -> Repository:
        """The repository (names compare case-insensitively, as on GitHub); else 404."""
        repo = self.repos.get(f"{owner}/{name}".lower())
        if repo is None:
            raise not_found()
        return repo

    def pull(self, owner: str, name: str, number: int) -> tuple[Repository, Pull]:
        repo = self.repo(owner, name)
        pull = repo.pulls.get(number)
        if pull is None:
            raise not_found()
        return repo, pull

    def _repo_for(self, full_name: str) -> Repository:
        key = full_name.lower()
        if key not in self.repos:
            owner, name = full_name.split("/", 1)
            self.repos[key] = Repository(owner, name, id=self.new_id())
        return self.repos[key]

    def _commit(self, repo: Repository, files: Snapshot, parents: list[str], message: str) -> str:
        sha = commit_sha(files, parents=parents, message=message)
        repo.commits.setdefault(sha, dict(files))
        return sha

    def put_pull(self, spec: PullSpec, *, at: datetime | None = None) -> tuple[Pull, bool]:
        """Create or replace pull request ``spec.number``; True when it is new. A replaced
        pull request loses its comments and reviews (its old commits stay readable)."""
        repo = self._repo_for(spec.repo)
        base = self._commit(repo, _encoded(spec.base_files), [], "Initial commit")
        head = self._commit(repo, _encoded(spec.head_files), [base], spec.title)
        created = spec.number not in repo.pulls
        if not created:
            self._forget_conversation(repo.full_name, spec.number)
        at = at or self.now()
        head_ref = spec.head_ref or f"pr-{spec.number}"
        repo.pulls[spec.number] = Pull(
            number=spec.number,
            id=self.new_id(),
            title=spec.title,
            body=spec.body,
            draft=spec.draft,
            state=spec.state,
            author=spec.author,
            author_type=spec.author_type,
            base_ref=spec.base_ref,
            head_ref=head_ref,
            base_sha=base,
            heads=[head],
            created_at=at,
            updated_at=at,
        )
        repo.branches.update({spec.base_ref: base, head_ref: head})
        return repo.pulls[spec.number], created

    def push(self, owner: str, name: str, number: int, files: Mapping[str, str | None]) -> Pull:
        """A new head: the current head's files with ``files`` applied (None deletes)."""
        repo, pull = self.pull(owner, name, number)
        tree = dict(repo.commits[pull.head_sha])
        for path, text in files.items():
            if text is None:
                tree.pop(path, None)
            else:
                tree[path] = text.encode("utf-8")
        message = f"Push {len(pull.heads)} to #{number}"
        pull.heads.append(self._commit(repo, tree, [pull.head_sha], message))
        pull.updated_at = self.now()
        repo.branches[pull.head_ref] = pull.head_sha
        return pull

    def _forget_conversation(self, repo: str, number: int) -> None:
        for records in (self.comments, self.reviews, self.review_comments):
            for key in [k for k, r in records.items() if (r.repo, r.number) == (repo, number)]:
                del records[key]

    def changes(self, repo: Repository, pull: Pull, head: str | None = None) -> list[FileChange]:
        """The pull request's diff, base → ``head`` (the current head by default)."""
        head = head or pull.head_sha
        key = (repo.full_name, pull.base_sha, head)
        if key not in self._diffs:
            self._diffs[key] = file_changes(repo.commits[pull.base_sha], repo.commits[head])
        return self._diffs[key]

    # -- contents ----------------------------------------------------------------------

    def resolve(self, repo: Repository, ref: str | None) -> str:
        """The commit ``ref`` names: a commit id (7 hex digits or more), or a branch."""
        ref = ref or repo.default_branch
        if ref in repo.commits:
            return ref
        if ref in repo.branches:
            return repo.branches[ref]
        matches = [sha for sha in repo.commits if len(ref) >= 7 and sha.startswith(ref.lower())]
        if len(matches) == 1:
            return matches[0]
        raise GitHubError(
            404, f"No commit found for the ref {ref}", documentation_url=CONTENTS_DOCS
        )

    def tree(self, repo: Repository, ref: str | None) -> Snapshot:
        return repo.commits[self.resolve(repo, ref)]

    # -- the conversation --------------------------------------------------------------

    def conversation(self, repo: str, number: int) -> list[IssueComment]:
        return [c for c in self.comments.values() if (c.repo, c.number) == (repo, number)]

    def add_comment(
        self, repo: Repository, pull: Pull, body: str, *, author: str | None = None
    ) -> IssueComment:
        """A new comment by ``author`` (the bot login by default)."""
        at = self.now()
        comment = IssueComment(
            self.new_id(), repo.full_name, pull.number, body, author or self.bot_login, at, at
        )
        self.comments[comment.id] = comment
        return comment

    def comment(self, repo: Repository, comment_id: int) -> IssueComment:
        comment = self.comments.get(comment_id)
        if comment is None or comment.repo != repo.full_name:
            raise not_found()
        return comment

    def edit_comment(self, repo: Repository, comment_id: int, body: str) -> IssueComment:
        comment = self.comment(repo, comment_id)
        comment.body, comment.updated_at = body, self.now()
        return comment

    def reviews_of(self, repo: str, number: int) -> list[Review]:
        return [r for r in self.reviews.values() if (r.repo, r.number) == (repo, number)]

    def review_comments_of(self, repo: str, number: int) -> list[ReviewComment]:
        comments = self.review_comments.values()
        return [c for c in comments if (c.repo, c.number) == (repo, number)]


def seed_spec() -> PullSpec:
    """The seeded pull request (see :mod:`backbone.mocks.github.seed`)."""
    return PullSpec(
        repo=seed.SEED_REPO,
        number=seed.SEED_NUMBER,
        title=seed.SEED_TITLE,
        body=seed.SEED_BODY,
        author=seed.SEED_AUTHOR,
        base_ref=seed.SEED_BASE_REF,
        head_ref=seed.SEED_HEAD_REF,
        base_files=seed.SEED_BASE_FILES,
        head_files=seed.SEED_HEAD_FILES,
    )
