"""The request layer of the GitHub client: one origin, no redirects, the house's retries,
GitHub's rate limits waited out, statuses translated into :mod:`._errors`.

Two layers of retry, each for what it is sure of:

- **ResilientClient** retries 5xx answers and transport errors, for GET only (its
  default: a POST or PATCH that failed that way may have been done by GitHub).
- **This layer** waits out a rate limit (a 403 or 429 with ``Retry-After``, or
  ``x-ratelimit-remaining: 0`` until ``x-ratelimit-reset``, or GitHub's minute for a
  secondary limit that names no time) and sends the request again, whatever its
  method: GitHub processed nothing. The waits of one request add up to
  ``max_rate_limit_wait`` at most; a longer one raises :class:`GitHubRateLimited`.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from backbone.resilience import ResilientClient, RetryExhaustedError, RetryPolicy, parse_retry_after
from backbone.review.github._errors import (
    GitHubAuthError,
    GitHubBadResponse,
    GitHubError,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubUnavailable,
)

__all__ = ["JSON_MEDIA_TYPE", "RAW_MEDIA_TYPE", "Http", "Sleep", "rate_limit_wait"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]

API_VERSION = "2022-11-28"
JSON_MEDIA_TYPE = "application/vnd.github+json"
RAW_MEDIA_TYPE = "application/vnd.github.raw+json"
SECONDARY_LIMIT_WAIT = 60.0
"""GitHub: after a secondary rate limit that names no time, "wait for at least one minute"."""
RESET_MARGIN = 1.0
"""``x-ratelimit-reset`` is whole seconds on GitHub's clock: one more keeps us past it."""
MAX_RATE_LIMIT_WAITS = 5
"""Rate-limit waits of one request at most, should GitHub keep answering ``Retry-After: 0``."""
_SERVER_ERRORS = frozenset(range(500, 600))  # not 429: a rate limit is this layer's to wait
_MESSAGE_CHARS = 200


def rate_limit_wait(response: httpx.Response, now: float) -> float | None:
    """Seconds GitHub asks us to wait before sending ``response``'s request again, or None
    when the response is not a rate limit (``now``: the wall clock, epoch seconds)."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    asked = parse_retry_after(headers.get("retry-after"), lambda: datetime.fromtimestamp(now, UTC))
    if asked is not None:
        return asked
    if headers.get("x-ratelimit-remaining", "").strip() == "0":
        try:
            reset = float(headers.get("x-ratelimit-reset", ""))
        except ValueError:
            return SECONDARY_LIMIT_WAIT
        return max(0.0, reset - now) + RESET_MARGIN
    if response.status_code == 429 or "rate limit" in github_message(response).lower():
        return SECONDARY_LIMIT_WAIT
    return None


def github_message(response: httpx.Response) -> str:
    """The ``message`` of GitHub's error body, shortened; empty when there is none."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return message[:_MESSAGE_CHARS] if isinstance(message, str) else ""


def _scrub(text: str, request: httpx.Request) -> str:
    """``text`` without the credential the request carried, should GitHub echo it back."""
    _, _, secret = request.headers.get("authorization", "").partition(" ")
    return text.replace(secret, "***") if len(secret) >= 8 else text


def _same_origin(base: httpx.URL) -> Callable[[httpx.Request], Awaitable[None]]:
    async def guard(request: httpx.Request) -> None:
        if not same_origin(request.url, base):
            # The credential goes to the configured GitHub only, whatever built the URL.
            raise GitHubError(f"refused a request outside {base.scheme}://{base.netloc.decode()}")

    return guard


def same_origin(url: httpx.URL, base: httpx.URL) -> bool:
    """Whether ``url`` has ``base``'s scheme, host and port."""
    return (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)


class Http:
    """One ``httpx.AsyncClient`` bound to GitHub's API URL, behind a ResilientClient."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        max_retries: int,
        max_rate_limit_wait: float,
        user_agent: str,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Sleep,
        clock: Callable[[], float],
    ) -> None:
        self.base = httpx.URL(base_url.rstrip("/") + "/")
        self._client = httpx.AsyncClient(
            base_url=self.base,
            headers={
                "Accept": JSON_MEDIA_TYPE,
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": user_agent,
            },
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            event_hooks={"request": [_same_origin(self.base)]},
        )
        policy = RetryPolicy(max_retries=max_retries, statuses=_SERVER_ERRORS, jitter="equal")
        self._resilient = ResilientClient(client=self._client, policy=policy, sleep=sleep)
        self._max_wait = max_rate_limit_wait
        self._sleep = sleep
        self._clock = clock

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def send(
        self,
        method: str,
        url: str,
        *,
        authorization: str | None,
        json: Any = None,
        accept: str = JSON_MEDIA_TYPE,
        idempotent: bool = False,
    ) -> httpx.Response:
        """The first answer that is not a rate limit; rate limits are waited out.

        ``idempotent=True`` lets ResilientClient retry a POST or PATCH on 5xx too.
        """
        retry = True if idempotent else None
        headers = {"Accept": accept}
        if authorization is not None:
            headers["Authorization"] = authorization
        waited = 0.0
        waits = 0
        while True:
            response = await self._once(method, url, headers, json, retry)
            wait = rate_limit_wait(response, self._clock())
            if wait is None:
                return response
            if waits >= MAX_RATE_LIMIT_WAITS or waited + wait > self._max_wait:
                raise self._rate_limited(method, url, wait, response.status_code)
            logger.warning(
                "github_rate_limited method=%s path=%s status=%d wait=%.1f",
                method, _path(url), response.status_code, wait,
            )  # fmt: skip
            await self._sleep(wait)
            waited += wait
            waits += 1

    def _rate_limited(self, method: str, url: str, wait: float, status: int) -> GitHubRateLimited:
        return GitHubRateLimited(
            f"{method} {_path(url)}: rate limited by GitHub for {wait:.0f}s more, "
            f"over the {self._max_wait:.0f}s this client waits",
            wait=wait,
            status=status,
        )

    async def _once(
        self, method: str, url: str, headers: dict[str, str], json: Any, retry: bool | None
    ) -> httpx.Response:
        """One request through ResilientClient; its give-up becomes GitHubUnavailable."""
        try:
            return await self._resilient.request(
                method, url, headers=headers, json=json, retry=retry
            )
        except RetryExhaustedError as exc:
            last = exc.last_response
            status = None if last is None else last.status_code
            raise GitHubUnavailable(f"GitHub is unavailable: {exc}", status=status) from exc
        except httpx.HTTPError as exc:
            raise GitHubUnavailable(f"{method} {_path(url)}: {type(exc).__name__}") from exc

    async def json(
        self, method: str, url: str, *, authorization: str | None, idempotent: bool = False
    ) -> Any:
        """Send a request without a body, expect a 2xx, and return its JSON."""
        response = await self.send(method, url, authorization=authorization, idempotent=idempotent)
        expect(response, 200, 201, what=f"{method} {_path(url)}")
        return decode(response, what=f"{method} {_path(url)}")


def _path(url: str) -> str:
    return httpx.URL(url).path


def expect(response: httpx.Response, *statuses: int, what: str) -> None:
    """Return if the status is one of ``statuses``; else raise the matching GitHubError."""
    status = response.status_code
    if status in statuses:
        return
    message = github_message(response)
    text = _scrub(
        f"{what}: GitHub answered {status}{f' ({message})' if message else ''}", response.request
    )
    if status in (401, 403):
        raise GitHubAuthError(text, status=status)
    if status == 404:
        raise GitHubNotFound(text, status=status)
    if response.is_redirect:
        raise GitHubError(f"{text}; redirects are not followed", status=status)
    raise GitHubError(text, status=status)


def decode(response: httpx.Response, *, what: str) -> Any:
    """The response's JSON, or GitHubBadResponse."""
    try:
        return response.json()
    except ValueError:
        raise GitHubBadResponse(f"{what}: the answer is not JSON") from None


def parse(data: Any, adapter: TypeAdapter[T], *, what: str) -> T:
    """``data`` validated by ``adapter``, or GitHubBadResponse naming the fields (never
    their values: an answer may hold a token)."""
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(root)'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)[:5]
        )
        raise GitHubBadResponse(f"{what}: unexpected JSON ({fields})") from None


def decode_base64(text: str, *, what: str) -> bytes:
    """The bytes of GitHub's base64 (line-wrapped), or GitHubBadResponse."""
    try:
        return base64.b64decode(text.replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        raise GitHubBadResponse(f"{what}: the content is not base64") from None
