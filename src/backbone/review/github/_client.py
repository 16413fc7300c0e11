"""``GitHubClient``: the review's calls to GitHub's REST API, the real :class:`GitHubApi`.

SSRF and path safety: every URL is the configured API URL plus a path built from a
validated :class:`RepoRef`, an integer, a 40-hex SHA or a repository path encoded
segment by segment (``..``, absolute paths, empty segments, backslashes and control
characters are refused before any request). The one URL GitHub hands us, a ``Link:
rel="next"`` page, must have the API's origin; and a request hook refuses any other
origin anyway. Redirects are not followed.

Writes: a POST is never retried blindly. When creating the review comment or a review
fails in a way that leaves it unknown whether GitHub did it (5xx, a lost connection),
the client looks for the comment (its marker) or the review (its commit and body) before
writing again: a retry never makes two. A review given a marker is looked for before
its first POST too: a review delivered again after its worker died posts none twice.

Ownership: anyone can write a marker, and a token that may write can edit anyone's
comment. So a comment or review is taken for the client's own only when its author is
the client's account, asked of GitHub once (see :meth:`GitHubClient.own_login`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx
from pydantic import TypeAdapter

from backbone.resilience import exponential_delay
from backbone.review.github import _wire
from backbone.review.github._auth import GitHubAuth, auth_from_settings
from backbone.review.github._errors import (
    GitHubAuthError,
    GitHubBadResponse,
    GitHubFileTooLarge,
    GitHubNotFound,
    GitHubUnavailable,
)
from backbone.review.github._http import (
    JSON_MEDIA_TYPE,
    RAW_MEDIA_TYPE,
    Http,
    Sleep,
    decode,
    decode_base64,
    expect,
    parse,
    same_origin,
)
from backbone.review.github._models import (
    InlineComment,
    IssueComment,
    PostedReview,
    PullFile,
    PullRequest,
    RepoRef,
)
from backbone.review.github._paths import (
    commit_sha,
    content_path,
    issue_path,
    pull_path,
    repo_path,
)

if TYPE_CHECKING:
    from backbone.review.config import ReviewSettings

__all__ = ["DEFAULT_API_URL", "MAX_PULL_FILES", "GitHubClient"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"
MAX_PULL_FILES = 3000
"""GitHub lists at most 3,000 files of a pull request."""
PER_PAGE = 100
MAX_PAGES = 100
"""Pages read of one listing at most, whatever its ``Link`` headers say."""
INLINE_CONTENT_LIMIT = 1024 * 1024
"""The contents API inlines a file in base64 up to 1 MB; past that, the raw media type."""
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
WRITE_RETRY_DELAY = 1.0
USER_AGENT = "backbone-review"


class GitHubClient:
    """The review's GitHub calls over one connection pool (async context manager).

    ``base_url`` is GitHub's API (``https://ghe.example.com/api/v3`` for GitHub
    Enterprise, or the fake GitHub); ``auth`` a :class:`TokenAuth` or :class:`AppAuth`
    (None: anonymous, for the fake). ``max_retries`` is ResilientClient's for GETs and
    the re-checked write retries; ``max_rate_limit_wait`` the seconds one request may
    wait out rate limits; ``max_file_bytes`` the largest file :meth:`file_text` reads.
    ``transport``, ``sleep`` and ``clock`` (epoch seconds) are for tests.
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_API_URL,
        auth: GitHubAuth | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        max_rate_limit_wait: float = 60.0,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        user_agent: str = USER_AGENT,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = Http(
            base_url=base_url, timeout=timeout, max_retries=max_retries,
            max_rate_limit_wait=max_rate_limit_wait, user_agent=user_agent,
            transport=transport, sleep=sleep, clock=clock,
        )  # fmt: skip
        self._auth = auth
        self._login: str | None = None
        self._login_lock = asyncio.Lock()
        self._max_retries = max_retries
        self._max_file_bytes = max_file_bytes
        self._sleep = sleep

    @classmethod
    def from_settings(
        cls, settings: ReviewSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> GitHubClient:
        """The client the settings describe; an App (when configured) wins over a token.

        The App's private key file is read here: GitHubAuthError if it cannot be.
        """
        return cls(
            base_url=settings.github_api_url, auth=auth_from_settings(settings),
            timeout=settings.github_timeout,
            max_retries=settings.github_max_retries,
            max_rate_limit_wait=settings.github_max_rate_limit_wait,
            max_file_bytes=settings.max_file_bytes, transport=transport,
        )  # fmt: skip

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def own_login(self) -> str:
        """The login GitHub records as the author of this client's comments and reviews:
        a token's account (``GET /user``), an App's ``{slug}[bot]`` (``GET /app``).

        Asked once, then cached; GitHubAuthError for an anonymous client (it has none).
        """
        if self._login is None:
            if self._auth is None:
                raise GitHubAuthError("an anonymous client has no login to write as")
            async with self._login_lock:
                if self._login is None:  # whoever held the lock may have asked meanwhile
                    self._login = await self._auth.login(self._http)
                    logger.info("github_login login=%s", self._login)
        return self._login

    # -- the calls of GitHubApi

    async def pull_request(self, repo: RepoRef, number: int) -> PullRequest:
        """``GET /repos/{owner}/{repo}/pulls/{number}``."""
        url = pull_path(repo, number)
        response = await self._request(repo, "GET", url)
        return parse(decode(response, what=url), _wire.PULL, what=url).model(repo)

    async def pull_request_files(
        self, repo: RepoRef, number: int, *, limit: int = MAX_PULL_FILES
    ) -> list[PullFile]:
        """Every changed file, 100 a page along ``Link: rel="next"``, at most ``limit``."""
        if not 1 <= limit <= MAX_PULL_FILES:
            raise ValueError(f"limit must be within 1..{MAX_PULL_FILES}")
        files: list[PullFile] = []
        url = f"{pull_path(repo, number)}/files?per_page={PER_PAGE}"
        async with aclosing(self._pages(repo, url, _wire.FILES)) as pages:
            async for page in pages:
                files.extend(item.model() for item in page[: limit - len(files)])
                if len(files) >= limit:
                    break
        return files

    async def file_text(self, repo: RepoRef, path: str, *, ref: str) -> str:
        """The file's text at ``ref`` (a commit SHA), UTF-8 with bad bytes replaced.

        GitHubNotFound when there is no file there (or a directory, a submodule);
        GitHubFileTooLarge over ``max_file_bytes``.
        """
        url = f"{repo_path(repo)}/contents/{content_path(path)}?ref={commit_sha(ref)}"
        what = f"GET contents/{path}"
        data = decode(await self._request(repo, "GET", url, what=what), what=what)
        if isinstance(data, list):
            raise GitHubNotFound(f"{what}: a directory, not a file")
        content = parse(data, _wire.CONTENT, what=what)
        if content.type != "file":
            raise GitHubNotFound(f"{what}: a {content.type[:40]}, not a file")
        self._check_size(content.size, what)
        if (
            content.encoding == "base64"
            and content.content is not None
            and content.size <= INLINE_CONTENT_LIMIT
        ):
            raw = decode_base64(content.content, what=what)
        else:  # encoding "none" (1-100 MB) or anything else: ask for the bytes themselves
            response = await self._request(repo, "GET", url, accept=RAW_MEDIA_TYPE, what=what)
            raw = response.content
        self._check_size(len(raw), what)
        return raw.decode("utf-8", errors="replace")

    async def find_comment(self, repo: RepoRef, number: int, *, marker: str) -> IssueComment | None:
        """The first issue comment on the pull request that this client's account wrote
        and whose body contains ``marker`` (others' marked comments are not ours)."""
        if not marker:
            raise ValueError("an empty marker would match every comment")
        url = f"{issue_path(repo, number)}/comments?per_page={PER_PAGE}"
        async with aclosing(self._pages(repo, url, _wire.COMMENTS)) as pages:
            async for page in pages:
                for comment in page:
                    if comment.body and marker in comment.body and await self._own(comment):
                        return comment.model()
        return None

    async def upsert_comment(
        self, repo: RepoRef, number: int, *, marker: str, body: str
    ) -> IssueComment:
        """Edit the comment carrying ``marker`` (PATCH), or create it (POST).

        ``body`` must carry the marker (else the next call could not find it). After a
        write that may or may not have happened, the comment is looked for again before
        the next write, so a retry edits what the lost attempt created.
        """
        if not marker or marker not in body:
            raise ValueError("the comment's body must contain its marker")
        retries = 0
        while True:
            found = await self.find_comment(repo, number, marker=marker)
            if found is not None and found.body == body:
                return found
            try:
                if found is None:
                    return await self._write_comment(
                        repo, "POST", f"{issue_path(repo, number)}/comments", body
                    )
                url = f"{repo_path(repo)}/issues/comments/{found.id:d}"
                return await self._write_comment(repo, "PATCH", url, body)
            except (GitHubUnavailable, GitHubNotFound) as exc:
                # Unavailable: GitHub may have written it. NotFound on an edit: deleted
                # meanwhile. Either way, look again before writing again.
                if isinstance(exc, GitHubNotFound) and found is None:
                    raise
                retries += 1
                if retries > self._max_retries:
                    raise
                await self._before_rewrite("comment", retries, exc)

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
        """Post a review with ``event: COMMENT`` and inline comments on the head (RIGHT).

        With ``marker`` (``body`` must contain it), a review this client's account
        already posted on ``commit_id`` whose body contains it is returned and nothing
        is posted. After a POST that may or may not have happened, that review (without
        a marker: one of the same commit with the same body) is looked for before
        posting again.
        """
        if marker is not None and (not marker or marker not in body):
            raise ValueError("the review's body must contain its marker")
        payload = _wire.review_payload(commit_sha(commit_id, "commit_id"), body, comments)
        url = f"{pull_path(repo, number)}/reviews"
        # A marked review is looked for first: a worker killed just after the POST leaves
        # the review posted and its job undone, and the job is delivered again.
        found = None if marker is None else await self._find_review(repo, number, commit_id, marker)
        retries = 0
        while found is None:
            try:
                response = await self._request(repo, "POST", url, json=payload, ok=(200, 201))
                return parse(decode(response, what=url), _wire.REVIEW, what=url).model()
            except GitHubUnavailable as exc:
                retries += 1
                if retries > self._max_retries:
                    raise
                await self._before_rewrite("review", retries, exc)
            found = await self._find_review(repo, number, commit_id, marker, body=body)
        logger.info("github_review_found repo=%s number=%d id=%d", repo.full_name, number, found.id)
        return found

    # -- helpers

    async def _request(
        self,
        repo: RepoRef,
        method: str,
        url: str,
        *,
        json: Any = None,
        accept: str = JSON_MEDIA_TYPE,
        ok: tuple[int, ...] = (200,),
        what: str | None = None,
    ) -> httpx.Response:
        """Send as ``repo``'s credential; after a 401, once more with a fresh one (an App's
        token may have been revoked before its time; GitHub processed nothing)."""
        response = await self._send_as(repo, method, url, json, accept)
        if response.status_code == 401 and self._auth is not None and self._auth.invalidate(repo):
            logger.info("github_credential_refused repo=%s", repo.full_name)
            response = await self._send_as(repo, method, url, json, accept)
        expect(response, *ok, what=what or f"{method} {httpx.URL(url).path}")
        return response

    async def _send_as(
        self, repo: RepoRef, method: str, url: str, json: Any, accept: str
    ) -> httpx.Response:
        authorization = (
            None if self._auth is None else await self._auth.authorization(self._http, repo)
        )
        return await self._http.send(
            method, url, authorization=authorization, json=json, accept=accept
        )

    async def _pages(
        self, repo: RepoRef, url: str, adapter: TypeAdapter[list[T]]
    ) -> AsyncGenerator[list[T], None]:
        """The pages of a listing, following ``Link: rel="next"`` on the API's origin."""
        what = f"GET {httpx.URL(url).path}"
        next_url: str | None = url
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = await self._request(repo, "GET", next_url, what=what)
            page = parse(decode(response, what=what), adapter, what=what)
            yield page
            next_url = self._next_link(response, what) if page else None
        logger.warning("github_pages_capped path=%s pages=%d", httpx.URL(url).path, MAX_PAGES)

    def _next_link(self, response: httpx.Response, what: str) -> str | None:
        link = response.links.get("next", {}).get("url")
        if link is None:
            return None
        try:
            if same_origin(httpx.URL(link), self._http.base):
                return link
        except httpx.InvalidURL:
            pass
        raise GitHubBadResponse(f"{what}: the next page's link leaves the API's origin")

    async def _write_comment(self, repo: RepoRef, method: str, url: str, body: str) -> IssueComment:
        response = await self._request(repo, method, url, json={"body": body}, ok=(200, 201))
        return parse(decode(response, what=url), _wire.COMMENT, what=url).model()

    async def _find_review(
        self, repo: RepoRef, number: int, commit_id: str, marker: str | None, *, body: str = ""
    ) -> PostedReview | None:
        """This account's review of ``commit_id`` carrying ``marker`` (or, without one,
        of exactly ``body``)."""
        url = f"{pull_path(repo, number)}/reviews?per_page={PER_PAGE}"
        async with aclosing(self._pages(repo, url, _wire.REVIEWS)) as pages:
            async for page in pages:
                for review in page:
                    if (review.commit_id or "").lower() != commit_id.lower() or not review.body:
                        continue
                    same = marker in review.body if marker else review.body == body
                    if same and await self._own(review):
                        return review.model()
        return None

    async def _own(self, record: _wire.CommentJson | _wire.ReviewJson) -> bool:
        """Whether this client's account wrote ``record`` (GitHub logins ignore case)."""
        author = record.author
        return author is not None and author.lower() == (await self.own_login()).lower()

    async def _before_rewrite(self, what: str, retry: int, exc: Exception) -> None:
        wait = exponential_delay(retry, WRITE_RETRY_DELAY)
        logger.warning(
            "github_write_unsure what=%s retry=%d wait=%.1f error=%s",
            what, retry, wait, type(exc).__name__,
        )  # fmt: skip
        await self._sleep(wait)

    def _check_size(self, size: int, what: str) -> None:
        if size > self._max_file_bytes:
            raise GitHubFileTooLarge(
                f"{what}: {size} bytes, over the {self._max_file_bytes} read at most",
                size=size,
                limit=self._max_file_bytes,
            )
