"""What happens to every request on GitHub's paths before and after its route runs.

:class:`Traffic` keeps GitHub's hourly rate-limit window (``x-ratelimit-*`` on every
answer, a 403 once it is used up), the failures and rate limits a test asked for
(``POST /_fake/fail``, ``POST /_fake/rate-limit``: the next N requests answer them), and
a log of the requests received. :class:`GitHubTrafficMiddleware` applies it.

Order for one request: an injected failure, else an injected rate limit, else the
window's own limit, else the route. Every request on a GitHub path is recorded with the
status it got, ``/rate_limit`` included (which, as on GitHub, costs nothing).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backbone.mocks.github.errors import GitHubError, is_github_path

WINDOW_SECONDS = 3600
MAX_LOGGED_REQUESTS = 10_000
RATE_LIMIT_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
)
SECONDARY_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID."
)


class Clock:
    """The fake's time: the system's, plus an offset a test may move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as the fake sees them."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the fake's time forward (tokens and windows expire accordingly)."""
        self.offset += seconds


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request a GitHub path received."""

    method: str
    path: str
    query: str
    status: int


@dataclass(slots=True)
class _Plan:
    """Injected answers: ``left`` more requests get ``status``."""

    left: int
    status: int
    reset_after: int = 0
    retry_after: int | None = None


class Traffic:
    """Rate-limit window, injected answers and the request log of one fake."""

    def __init__(self, *, limit: int, clock: Clock) -> None:
        self.limit = limit
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        """A fresh window, nothing injected, an empty log."""
        self._window_reset = 0
        self._used = 0
        self._failures: _Plan | None = None
        self._rate_limits: _Plan | None = None
        self._log: deque[RecordedRequest] = deque(maxlen=MAX_LOGGED_REQUESTS)

    def fail_next(self, requests: int, status: int) -> None:
        """The next ``requests`` requests answer ``status`` (500, 502 or 503)."""
        self._failures = _Plan(requests, status)

    def rate_limit_next(
        self, requests: int, status: int, *, reset_after: int, retry_after: int | None
    ) -> None:
        """The next ``requests`` requests are rate limited (403 or 429)."""
        self._rate_limits = _Plan(requests, status, reset_after, retry_after)

    def record(self, method: str, path: str, query: str, status: int) -> None:
        self._log.append(RecordedRequest(method, path, query, status))

    def requests(self) -> list[RecordedRequest]:
        """The requests received since the last reset, oldest first."""
        return list(self._log)

    def window(self) -> dict[str, int]:
        """The current window as ``GET /rate_limit`` shows a resource."""
        self._roll()
        remaining = max(0, self.limit - self._used)
        return {
            "limit": self.limit,
            "remaining": remaining,
            "reset": self._window_reset,
            "used": self._used,
        }

    def _roll(self) -> None:
        now = int(self.clock.now())
        if now >= self._window_reset:
            self._window_reset, self._used = now + WINDOW_SECONDS, 0

    def _headers(self, **overrides: int) -> dict[str, str]:
        values = {**self.window(), **overrides}
        headers = {f"x-ratelimit-{name}": str(value) for name, value in values.items()}
        return {**headers, "x-ratelimit-resource": "core"}

    def _injected(self, who: str) -> GitHubError | None:
        failures, limits = self._failures, self._rate_limits
        if failures is not None and failures.left > 0:
            failures.left -= 1
            return GitHubError(failures.status)
        if limits is not None and limits.left > 0:
            limits.left -= 1
            if limits.retry_after is not None:
                headers = {"Retry-After": str(limits.retry_after)}
                return GitHubError(
                    limits.status,
                    SECONDARY_MESSAGE,
                    documentation_url=SECONDARY_DOCS,
                    headers=headers,
                )
            reset = int(self.clock.now()) + limits.reset_after
            headers = self._headers(remaining=0, reset=reset, used=self.limit)
            return _primary(limits.status, who, headers)
        return None

    def admit(self, who: str, *, free: bool = False) -> tuple[GitHubError | None, dict[str, str]]:
        """Count one request; the error it must get instead of its route (if any) and the
        rate-limit headers of its answer. ``who`` names the caller in GitHub's message."""
        self._roll()
        refusal = self._injected(who)
        if refusal is None and not free and self._used >= self.limit:
            refusal = _primary(403, who, self._headers())
        if not free and self._used < self.limit:
            self._used += 1
        return refusal, self._headers()


def _primary(status: int, who: str, headers: dict[str, str]) -> GitHubError:
    message = f"API rate limit exceeded for {who}."
    return GitHubError(status, message, documentation_url=RATE_LIMIT_DOCS, headers=headers)


class GitHubTrafficMiddleware:
    """Applies :class:`Traffic` to GitHub's paths; other paths pass untouched."""

    def __init__(
        self, app: ASGIApp, *, traffic: Traffic, identify: Callable[[str | None], str]
    ) -> None:
        self.app = app
        self.traffic = traffic
        self.identify = identify
        """``identify(authorization) -> str``: "user ID 1", "installation ID 1"..."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not is_github_path(path):
            await self.app(scope, receive, send)
            return
        who = self.identify(Headers(scope=scope).get("authorization"))
        refusal, headers = self.traffic.admit(who, free=path == "/rate_limit")
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = MutableHeaders(scope=message)
                for name, value in headers.items():
                    response_headers.setdefault(name, value)
            await send(message)

        try:
            if refusal is not None:
                await refusal.response()(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            query = scope.get("query_string", b"").decode("latin-1")
            self.traffic.record(scope["method"], path, query, status)
