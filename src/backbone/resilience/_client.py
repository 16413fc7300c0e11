"""``ResilientClient``: an ``httpx.AsyncClient`` that retries, backs off and fails fast."""

from __future__ import annotations

import asyncio
import dataclasses
import random as _random
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypedDict, Unpack

import httpx
from httpx._client import USE_CLIENT_DEFAULT, UseClientDefault
from httpx._types import (
    AuthTypes,
    CookieTypes,
    HeaderTypes,
    QueryParamTypes,
    RequestContent,
    RequestData,
    RequestExtensions,
    RequestFiles,
    TimeoutTypes,
)

from backbone.resilience._budget import RetryBudget
from backbone.resilience._engine import RetryEngine
from backbone.resilience._instrumentation import GiveUpHook, RetryHook
from backbone.resilience._policy import CircuitBreakerConfig, RetryPolicy

__all__ = ["ResilientClient"]

Auth = AuthTypes | UseClientDefault | None
Redirects = bool | UseClientDefault
Timeout = TimeoutTypes | UseClientDefault


class Options(TypedDict, total=False):
    """The keyword arguments of the verbs without a body (``get``, ``head``...)."""

    params: QueryParamTypes | None
    headers: HeaderTypes | None
    cookies: CookieTypes | None
    auth: Auth
    follow_redirects: Redirects
    timeout: Timeout
    extensions: RequestExtensions | None
    retry: bool | None


class BodyOptions(Options, total=False):
    """The keyword arguments of the verbs with a body (``post``, ``put``, ``patch``)."""

    content: RequestContent | None
    data: RequestData | None
    files: RequestFiles | None
    json: Any | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _merge_policy(
    policy: RetryPolicy | None, *, max_retries: int | None, initial_delay: float | None
) -> RetryPolicy:
    """The policy (default: RetryPolicy()) with the fields given as arguments replaced."""
    overrides: dict[str, Any] = {}
    if max_retries is not None:
        overrides["max_retries"] = max_retries
    if initial_delay is not None:
        overrides["initial_delay"] = initial_delay
    return dataclasses.replace(policy or RetryPolicy(), **overrides)


def _has_client_options(
    transport: httpx.AsyncBaseTransport | None,
    base_url: httpx.URL | str,
    headers: HeaderTypes | None,
    timeout: Timeout,
) -> bool:
    """Whether any option that configures a new httpx.AsyncClient was given."""
    return (
        transport is not None
        or base_url != ""
        or headers is not None
        or not isinstance(timeout, UseClientDefault)
    )


def _warn_per_request_cookies() -> None:
    warnings.warn(
        "Setting per-request cookies=<...> is being deprecated (as in httpx); "
        "set them on the client instead.",
        DeprecationWarning,
        stacklevel=3,
    )


def _new_client(
    transport: httpx.AsyncBaseTransport | None,
    base_url: httpx.URL | str,
    headers: HeaderTypes | None,
    timeout: Timeout,
) -> httpx.AsyncClient:
    if isinstance(timeout, UseClientDefault):
        return httpx.AsyncClient(transport=transport, base_url=base_url, headers=headers)
    return httpx.AsyncClient(
        transport=transport, base_url=base_url, headers=headers, timeout=timeout
    )


class ResilientClient:
    """An async HTTP client that retries failed requests with exponential backoff.

    It wraps an ``httpx.AsyncClient`` (its own, or the one passed as ``client=``, which
    it never closes) and has the same request API. A request is retried on a status in
    ``policy.statuses`` (5xx and 429) or an exception in ``policy.exceptions`` (httpx
    transport errors, timeouts included) when it is safe to: its method is idempotent,
    or it carries an ``Idempotency-Key`` header, or the caller opted in
    (``RetryPolicy(retry_non_idempotent=True)`` or ``retry=True`` per call), and its body
    can be sent again (not an iterator). A request that fails on its last allowed
    attempt raises ``RetryExhaustedError`` (one attempt for those that are not retried);
    any other response is returned as it is. Cancellation is never retried or delayed.

    ``max_retries`` and ``initial_delay`` override the policy's fields of the same name.
    ``breaker`` enables one circuit breaker per origin and ``budget`` a retry budget
    shared by all the client's requests, which bounds retries to a share of the traffic
    (both off by default, because they make requests affect each other). ``sleep``,
    ``clock`` (monotonic, also the budget's refill clock), ``now`` (wall clock, for
    HTTP-date ``Retry-After``) and ``random`` are injectable for tests.
    """

    def __init__(
        self,
        *,
        max_retries: int | None = None,
        initial_delay: float | None = None,
        policy: RetryPolicy | None = None,
        breaker: CircuitBreakerConfig | None = None,
        budget: RetryBudget | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        base_url: httpx.URL | str = "",
        headers: HeaderTypes | None = None,
        timeout: Timeout = USE_CLIENT_DEFAULT,
        on_retry: RetryHook | None = None,
        on_giveup: GiveUpHook | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utc_now,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if client is not None and _has_client_options(transport, base_url, headers, timeout):
            raise ValueError("pass either client= or transport/base_url/headers/timeout, not both")
        self.policy = _merge_policy(policy, max_retries=max_retries, initial_delay=initial_delay)
        self.budget = budget
        self._engine = RetryEngine(
            policy=self.policy, breaker=breaker, budget=budget, on_retry=on_retry,
            on_giveup=on_giveup, sleep=sleep, clock=clock, now=now, random=random,
        )  # fmt: skip
        self._owns_client = client is None
        self.client = (
            client if client is not None else _new_client(transport, base_url, headers, timeout)
        )

    async def __aenter__(self) -> Self:
        if self._owns_client:
            await self.client.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._owns_client:
            await self.client.__aexit__(exc_type, exc, traceback)

    async def aclose(self) -> None:
        """Close the underlying client, unless it was passed in (its owner closes it)."""
        if self._owns_client:
            await self.client.aclose()

    def circuit_state(self, url: httpx.URL | str) -> str | None:
        """The breaker state of ``url``'s origin: closed, open, half_open (None: no breakers).

        Nothing is sent; an origin never called is closed.
        """
        return self._engine.circuit_state(httpx.URL(url))

    async def request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: Any | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: Auth = USE_CLIENT_DEFAULT,
        follow_redirects: Redirects = USE_CLIENT_DEFAULT,
        timeout: Timeout = USE_CLIENT_DEFAULT,  # noqa: ASYNC109 - httpx's per-attempt timeout
        extensions: RequestExtensions | None = None,
        retry: bool | None = None,
    ) -> httpx.Response:
        """Like ``httpx.AsyncClient.request()``, with retries.

        ``retry=True`` opts a POST/PATCH in; ``retry=False`` makes one attempt only.
        """
        if cookies is not None:
            _warn_per_request_cookies()
        request = self.client.build_request(
            method, url, content=content, data=data, files=files, json=json, params=params,
            headers=headers, cookies=cookies, timeout=timeout, extensions=extensions,
        )  # fmt: skip
        return await self._engine.send(
            self.client, request, stream=False, auth=auth, follow_redirects=follow_redirects,
            retry=retry,
        )  # fmt: skip

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Auth = USE_CLIENT_DEFAULT,
        follow_redirects: Redirects = USE_CLIENT_DEFAULT,
        retry: bool | None = None,
    ) -> httpx.Response:
        """Like ``httpx.AsyncClient.send()``: send a request built beforehand, with retries.

        The request is sent again as it is, so it is retried only if its body can be
        replayed (not an async iterator or stream), under the same rules as ``request()``.
        With ``stream=True`` the body is not read and the caller must close the returned
        response (``await response.aclose()``); failed attempts' responses are closed
        before each retry, and the last one when the request gives up.
        """
        return await self._engine.send(
            self.client, request, stream=stream, auth=auth, follow_redirects=follow_redirects,
            retry=retry,
        )  # fmt: skip

    async def get(self, url: httpx.URL | str, **options: Unpack[Options]) -> httpx.Response:
        """Send a ``GET`` request (retried by default)."""
        return await self.request("GET", url, **options)

    async def options(self, url: httpx.URL | str, **options: Unpack[Options]) -> httpx.Response:
        """Send an ``OPTIONS`` request (retried by default)."""
        return await self.request("OPTIONS", url, **options)

    async def head(self, url: httpx.URL | str, **options: Unpack[Options]) -> httpx.Response:
        """Send a ``HEAD`` request (retried by default)."""
        return await self.request("HEAD", url, **options)

    async def post(self, url: httpx.URL | str, **options: Unpack[BodyOptions]) -> httpx.Response:
        """Send a ``POST`` request (retried only with an Idempotency-Key or an opt-in)."""
        return await self.request("POST", url, **options)

    async def put(self, url: httpx.URL | str, **options: Unpack[BodyOptions]) -> httpx.Response:
        """Send a ``PUT`` request (retried by default)."""
        return await self.request("PUT", url, **options)

    async def patch(self, url: httpx.URL | str, **options: Unpack[BodyOptions]) -> httpx.Response:
        """Send a ``PATCH`` request (retried only with an Idempotency-Key or an opt-in)."""
        return await self.request("PATCH", url, **options)

    async def delete(self, url: httpx.URL | str, **options: Unpack[Options]) -> httpx.Response:
        """Send a ``DELETE`` request (retried by default)."""
        return await self.request("DELETE", url, **options)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: Any | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: Auth = USE_CLIENT_DEFAULT,
        follow_redirects: Redirects = USE_CLIENT_DEFAULT,
        timeout: Timeout = USE_CLIENT_DEFAULT,  # noqa: ASYNC109 - httpx's per-attempt timeout
        extensions: RequestExtensions | None = None,
        retry: bool | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """Like ``httpx.AsyncClient.stream()``: retries cover getting the response headers.

        The body is not read; failed attempts' responses are closed before retrying,
        and the yielded response is closed when the block exits.
        """
        request = self.client.build_request(
            method, url, content=content, data=data, files=files, json=json, params=params,
            headers=headers, cookies=cookies, timeout=timeout, extensions=extensions,
        )  # fmt: skip
        response = await self._engine.send(
            self.client, request, stream=True, auth=auth, follow_redirects=follow_redirects,
            retry=retry,
        )  # fmt: skip
        try:
            yield response
        finally:
            await response.aclose()
