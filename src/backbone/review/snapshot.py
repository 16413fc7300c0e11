"""What one review reads from GitHub, read once: :func:`fetch_snapshot`.

The pull request, its changed files (at most ``max_files``), the text at the head SHA
of each changed Python file (not removed ones; at most ``max_file_bytes`` each), the
changed lines of each (at most ``max_changed_lines`` over all files, in the order GitHub
lists them), and the repository's root ruff configuration files that exist. Whatever
a cap leaves out is recorded in ``skipped`` with the reason, for the comment to say.

:func:`file_reader` gives the review's tool its one way to read: the pull request's
repository at its head SHA, from the snapshot first, else from GitHub.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from backbone.review._paths import UnsafePath, check_path
from backbone.review.config import ReviewSettings
from backbone.review.diff import changed_lines
from backbone.review.github._errors import GitHubFileTooLarge, GitHubNotFound
from backbone.review.github._models import PullFile, PullRequest, RepoRef
from backbone.review.github._protocol import GitHubApi
from backbone.review.lint import CONFIG_NAMES, is_python
from backbone.review.report import Skipped

__all__ = ["READ_CONCURRENCY", "Snapshot", "fetch_snapshot", "file_reader"]

READ_CONCURRENCY = 8
"""Files read from GitHub at once (its secondary rate limits frown on bursts)."""
_SHA = re.compile(r"^[0-9a-f]{7,64}$")
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Snapshot:
    """A pull request at one head, as the review reads it."""

    pr: PullRequest
    files: tuple[PullFile, ...]
    """The changed files reviewed (GitHub's order, at most ``max_files``)."""
    sources: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """path → text at the head SHA: the Python files to lint."""
    changed: Mapping[str, frozenset[int]] = field(default_factory=lambda: MappingProxyType({}))
    """path → the changed head lines reviewed (within the cap)."""
    config_files: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """The repository's root ruff configuration files that exist, by name."""
    skipped: tuple[Skipped, ...] = ()
    non_python: tuple[str, ...] = ()

    @property
    def head_sha(self) -> str:
        return self.pr.head_sha


def _missing(exc: BaseException) -> bool:
    """No file at the path: GitHubNotFound (the client's 404), or FileNotFoundError."""
    return isinstance(exc, FileNotFoundError | GitHubNotFound)


@dataclass
class _Plan:
    """Which changed Python files to read, their lines, and what the caps left out."""

    lines: dict[str, frozenset[int]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    non_python: list[str] = field(default_factory=list)
    budget: int = 0


def _plan_file(plan: _Plan, pull_file: PullFile, max_lines: int) -> None:
    path = pull_file.filename
    try:
        check_path(path)
    except UnsafePath as exc:
        plan.skipped.append(Skipped(path, f"not reviewed: {exc}"))
        return
    if pull_file.status == "removed":
        return  # nothing of it at the head
    if not is_python(path):
        plan.non_python.append(path)
        return
    if pull_file.patch is None:
        plan.skipped.append(Skipped(path, "GitHub gives no diff for it (binary or too large)"))
        return
    lines = sorted(changed_lines(pull_file.patch))
    if not lines:
        return  # only removals: no changed line at the head
    if plan.budget <= 0:
        plan.skipped.append(Skipped(path, f"over the cap of {max_lines} changed lines reviewed"))
        return
    kept = lines[: plan.budget]
    if len(kept) < len(lines):
        plan.skipped.append(
            Skipped(
                path,
                f"{len(lines) - len(kept)} of its {len(lines)} changed lines: over the cap of"
                f" {max_lines} changed lines reviewed",
            )
        )
    plan.budget -= len(kept)
    plan.lines[path] = frozenset(kept)


async def _bounded(calls: Sequence[Callable[[], Awaitable[object]]]) -> list[object]:
    """Run ``calls`` at most :data:`READ_CONCURRENCY` at a time; results (or the
    exception each raised) in order."""
    gate = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(call: Callable[[], Awaitable[object]]) -> object:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls), return_exceptions=True)


@dataclass
class _Read:
    """The texts read, and the paths that do not exist or do not fit."""

    texts: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    too_large: list[str] = field(default_factory=list)


async def _read_all(
    github: GitHubApi, repo: RepoRef, paths: Sequence[str], *, ref: str, max_bytes: int
) -> _Read:
    """The text at ``ref`` of each path that exists and fits in ``max_bytes``."""

    def call(path: str) -> Callable[[], Awaitable[object]]:
        return lambda: github.file_text(repo, path, ref=ref)

    answers = await _bounded([call(path) for path in paths])
    read = _Read()
    for path, answer in zip(paths, answers, strict=True):
        if isinstance(answer, Exception) and _missing(answer):
            read.missing.append(path)
        elif isinstance(answer, GitHubFileTooLarge):
            read.too_large.append(path)
        elif isinstance(answer, BaseException):
            raise answer
        elif len(str(answer).encode("utf-8", "replace")) > max_bytes:
            read.too_large.append(path)
        else:
            read.texts[path] = str(answer)
    return read


async def fetch_snapshot(
    github: GitHubApi, repo: RepoRef, number: int, *, settings: ReviewSettings
) -> Snapshot:
    """Read what the review of pull request ``number`` needs, within ``settings``' caps."""
    pr = await github.pull_request(repo, number)
    if not _SHA.match(pr.head_sha):
        raise ValueError(
            f"pull request {repo.full_name}#{number}: not a commit SHA: {pr.head_sha!r}"
        )
    listed = await github.pull_request_files(repo, number)
    files = tuple(listed[: settings.max_files])
    plan = _Plan(budget=settings.max_changed_lines)
    for pull_file in files:
        _plan_file(plan, pull_file, settings.max_changed_lines)
    max_bytes = settings.max_file_bytes
    sources = await _read_all(github, repo, list(plan.lines), ref=pr.head_sha, max_bytes=max_bytes)
    configs = await _read_all(github, repo, CONFIG_NAMES, ref=pr.head_sha, max_bytes=max_bytes)
    unread = [
        *(Skipped(path, "not found at the head commit") for path in sources.missing),
        *(Skipped(path, f"larger than {max_bytes} bytes") for path in sources.too_large),
        *(
            Skipped(path, f"ruff configuration larger than {max_bytes} bytes: not used")
            for path in configs.too_large
        ),
        *(
            Skipped(f.filename, f"over the cap of {settings.max_files} files reviewed")
            for f in listed[settings.max_files :]
        ),
    ]
    return Snapshot(
        pr=pr,
        files=files,
        sources=MappingProxyType(sources.texts),
        changed=MappingProxyType({path: plan.lines[path] for path in sources.texts}),
        config_files=MappingProxyType(configs.texts),
        skipped=(*plan.skipped, *unread),
        non_python=tuple(plan.non_python),
    )


def file_reader(
    github: GitHubApi,
    snapshot: Snapshot,
    *,
    loop: asyncio.AbstractEventLoop,
    timeout: float = 60.0,
) -> Callable[[str], str]:
    """The review tool's ``read``: a path of the pull request's repository at its head SHA.

    Files the snapshot holds are answered from it; others are read from GitHub on
    ``loop`` (the caller's running loop: :func:`~backbone.review.reviewer.build_review`
    runs in a worker thread). A file that does not exist is FileNotFoundError.
    """
    repo, ref = snapshot.pr.repo, snapshot.head_sha

    def read(path: str) -> str:
        if path in snapshot.sources:
            return snapshot.sources[path]
        future = asyncio.run_coroutine_threadsafe(github.file_text(repo, path, ref=ref), loop)
        try:
            return future.result(timeout=timeout)
        except Exception as exc:
            future.cancel()
            if _missing(exc):
                raise FileNotFoundError(f"no file {path!r} at {ref[:12]}") from exc
            raise

    return read
