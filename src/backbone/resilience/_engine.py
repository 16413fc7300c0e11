"""The retry loop behind ``ResilientClient``: a lean first attempt, then the slow path.

The first attempt only checks the circuit breaker and deposits into the retry budget;
everything else (backoff, ``Retry-After``, the deadline, a retry budget's token, hooks)
happens on the slow path, once an attempt has failed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import httpx
from httpx._client import UseClientDefault
from httpx._multipart import MultipartStream
from httpx._types import AuthTypes

from backbone.resilience._backoff import jittered_delay, parse_retry_after
from backbone.resilience._breaker import CircuitBreaker, CircuitBreakers
from backbone.resilience._budget import RetryBudget, TokenBucket
from backbone.resilience._errors import AttemptRecord, RetryExhaustedError
from backbone.resilience._instrumentation import (
    GiveUpEvent,
    GiveUpHook,
    RetryEvent,
    RetryHook,
    call_hook,
    log_giveup,
    log_retry,
)
from backbone.resilience._policy import CircuitBreakerConfig, RetryPolicy
from backbone.resilience._redact import redact_urls
from backbone.resilience._testing import testing_attempts

__all__ = ["RetryEngine"]

# A failed attempt: the response with a retryable status, or the exception it raised.
Failure = httpx.Response | Exception
Auth = AuthTypes | UseClientDefault | None
FollowRedirects = bool | UseClientDefault


class RetryEngine:
    """Sends a request through ``httpx.AsyncClient.send`` until it succeeds or must give up."""

    def __init__(
        self,
        *,
        policy: RetryPolicy,
        breaker: CircuitBreakerConfig | None,
        budget: RetryBudget | None,
        on_retry: RetryHook | None,
        on_giveup: GiveUpHook | None,
        sleep: Callable[[float], Awaitable[object]],
        clock: Callable[[], float],
        now: Callable[[], datetime],
        random: Callable[[], float],
    ) -> None:
        self.policy = policy
        self._statuses = policy.statuses
        self._exceptions = policy.exceptions
        self._breakers = None if breaker is None else CircuitBreakers(breaker, clock)
        self._bucket = None if budget is None else TokenBucket(budget, clock)
        self._on_retry = on_retry
        self._on_giveup = on_giveup
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._random = random

    def circuit_state(self, url: httpx.URL) -> str | None:
        """``"closed"``, ``"open"`` or ``"half_open"`` for the URL's origin; None: no breakers."""
        return None if self._breakers is None else self._breakers.state_of(url).value

    async def send(
        self,
        client: httpx.AsyncClient,
        request: httpx.Request,
        *,
        stream: bool,
        auth: Auth,
        follow_redirects: FollowRedirects,
        retry: bool | None,
    ) -> httpx.Response:
        """The response of the first successful attempt, or ``RetryExhaustedError``."""
        breaker = None if self._breakers is None else self._breakers.for_url(request.url)
        if breaker is not None:
            breaker.before()
        if self._bucket is not None:
            self._bucket.deposit()
        start = self._clock()
        body = request.stream  # before sending: a transport may swap it for a buffered copy
        try:
            response = await client.send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        except self._exceptions as exc:
            failure: Failure = exc
        except BaseException:
            if breaker is not None:
                breaker.release()
            raise
        else:
            if response.status_code not in self._statuses:
                if breaker is not None:
                    breaker.success()
                return response
            failure = response
        attempt = _Attempt(client, request, body, stream, auth, follow_redirects)
        return await self._recover(attempt, failure, start, breaker, retry)

    async def _recover(
        self,
        attempt: _Attempt,
        failure: Failure,
        start: float,
        breaker: CircuitBreaker | None,
        retry: bool | None,
    ) -> httpx.Response:
        """The slow path, and the breaker's verdict on the request."""
        try:
            response = await self._retry(attempt, failure, start, retry)
        except RetryExhaustedError:
            if breaker is not None:
                breaker.failure()
            raise
        except BaseException:
            if breaker is not None:
                breaker.release()
            raise
        if breaker is not None:
            breaker.success()
        return response

    async def _retry(
        self, attempt: _Attempt, failure: Failure, start: float, retry: bool | None
    ) -> httpx.Response:
        """Wait and retry until an attempt succeeds; every failed response gets closed."""
        try:
            return await self._retry_loop(attempt, failure, start, retry)
        except BaseException:
            if isinstance(attempt.last, httpx.Response):
                await attempt.last.aclose()
            raise

    async def _retry_loop(
        self, attempt: _Attempt, failure: Failure, start: float, retry: bool | None
    ) -> httpx.Response:
        request = attempt.request
        max_attempts, limit = self._max_attempts(request, attempt.body, retry)
        deadline = self.policy.deadline
        bucket = self._bucket
        records: list[AttemptRecord] = []
        wait = backoff = 0.0
        while True:
            attempt.last = failure
            record = _record(len(records) + 1, request, failure, wait, self._clock() - start)
            records.append(record)
            if record.number >= max_attempts:
                raise await self._give_up(request, failure, records, limit)
            backoff = self._backoff(record.number, backoff)
            wait = self._honour_retry_after(backoff, failure)
            if deadline is not None and record.elapsed + wait > deadline:
                reason = f"waiting {wait:.3g}s would cross the {deadline:.3g}s deadline"
                raise await self._give_up(request, failure, records, reason)
            if bucket is not None and not bucket.withdraw():
                raise await self._give_up(request, failure, records, bucket.refusal())
            if isinstance(failure, httpx.Response):
                await failure.aclose()
            await self._pause(record, wait, failure)
            outcome = await attempt(self._exceptions)
            if isinstance(outcome, httpx.Response) and outcome.status_code not in self._statuses:
                return outcome
            failure = outcome

    def _max_attempts(
        self, request: httpx.Request, body: object, retry: bool | None
    ) -> tuple[int, str]:
        """How many attempts this request may make, and what to say when they run out."""
        if retry is False:
            return 1, "retries disabled for this call (retry=False)"
        if not isinstance(body, httpx.ByteStream | MultipartStream):
            return 1, "not retried: the request body is a stream that cannot be replayed"
        if not (
            retry
            or request.method in self.policy.methods
            or self.policy.retry_non_idempotent
            or "idempotency-key" in request.headers
        ):
            return 1, f"not retried: {request.method} is not idempotent and was not opted in"
        cap = testing_attempts()
        attempts = self.policy.max_retries + 1
        if cap is not None and cap < attempts:
            return cap, f"testing mode allows {cap} attempt(s)"
        return attempts, f"max_retries={self.policy.max_retries} exhausted"

    def _backoff(self, retry: int, previous: float) -> float:
        policy = self.policy
        return jittered_delay(
            retry,
            initial_delay=policy.initial_delay,
            max_delay=policy.max_delay,
            jitter=policy.jitter,
            previous=previous or policy.initial_delay,
            random=self._random,
        )

    def _honour_retry_after(self, backoff: float, failure: Failure) -> float:
        """max(backoff, Retry-After capped at max_retry_after); the backoff if there is none."""
        if not (self.policy.respect_retry_after and isinstance(failure, httpx.Response)):
            return backoff
        asked = parse_retry_after(failure.headers.get("retry-after"), self._now)
        if asked is None:
            return backoff
        return max(backoff, min(asked, self.policy.max_retry_after))

    async def _pause(self, record: AttemptRecord, wait: float, failure: Failure) -> None:
        """Announce the retry (log line, hook), then wait, unless in testing mode."""
        event = RetryEvent(
            attempt=record.number,
            wait=wait,
            method=record.method,
            url=record.url,
            reason=record.outcome,
            status=record.status,
            exception=None if isinstance(failure, httpx.Response) else failure,
            elapsed=record.elapsed,
        )
        log_retry(event)
        await call_hook(self._on_retry, event)
        if testing_attempts() is None:
            await self._sleep(wait)

    async def _give_up(
        self, request: httpx.Request, failure: Failure, records: list[AttemptRecord], reason: str
    ) -> RetryExhaustedError:
        """Close the last response, build the final exception, announce it, return it."""
        count = len(records)
        url = records[-1].url  # without credentials, as every record's
        lines = "\n".join(f"  {record.describe()}" for record in records)
        message = (
            f"{request.method} {url} failed after {count} attempt"
            f"{'s' if count > 1 else ''} ({reason}):\n{lines}"
        )
        last_response: httpx.Response | None = None
        cause: Exception
        if isinstance(failure, Exception):
            cause = failure
        else:
            last_response = failure
            await last_response.aclose()
            cause = httpx.HTTPStatusError(
                f"{records[-1].outcome} for {request.method} {url}",
                request=request,
                response=last_response,
            )
        error = RetryExhaustedError(message, attempts=records, last_response=last_response)
        error.__cause__ = cause
        event = GiveUpEvent(
            method=request.method,
            url=url,
            reason=reason,
            attempts=records,
            error=error,
        )
        log_giveup(event)
        await call_hook(self._on_giveup, event)
        return error


class _Attempt:
    """Sends the request once more; remembers the last failure so it can be closed."""

    __slots__ = ("auth", "body", "client", "follow_redirects", "last", "request", "stream")

    def __init__(
        self,
        client: httpx.AsyncClient,
        request: httpx.Request,
        body: object,
        stream: bool,
        auth: Auth,
        follow_redirects: FollowRedirects,
    ) -> None:
        self.client = client
        self.request = request
        self.body = body
        self.stream = stream
        self.auth = auth
        self.follow_redirects = follow_redirects
        self.last: Failure | None = None

    async def __call__(self, exceptions: tuple[type[Exception], ...]) -> httpx.Response | Exception:
        try:
            return await self.client.send(
                self.request,
                stream=self.stream,
                auth=self.auth,
                follow_redirects=self.follow_redirects,
            )
        except exceptions as exc:
            return exc


def _record(
    number: int, request: httpx.Request, failure: Failure, wait: float, elapsed: float
) -> AttemptRecord:
    response = failure if isinstance(failure, httpx.Response) else None
    return AttemptRecord(
        number=number,
        method=request.method,
        # Messages, logs and hooks are built from records: credentials go no further.
        url=redact_urls(str(request.url)),
        status=None if response is None else response.status_code,
        error=redact_urls(repr(failure)) if response is None else None,
        wait=wait,
        elapsed=elapsed,
    )
