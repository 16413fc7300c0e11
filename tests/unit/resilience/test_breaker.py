"""The per-origin circuit breaker: closed, open (fail fast), half-open (one trial)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from backbone.resilience import (
    CircuitBreakerConfig,
    CircuitOpenError,
    ResilienceError,
    ResilientClient,
    RetryExhaustedError,
)

from .conftest import FakeTime, Script

MakeClient = Callable[..., ResilientClient]
CONFIG = CircuitBreakerConfig(failure_threshold=2, reset_timeout=30.0)


async def _fail(client: ResilientClient, url: str = "/x") -> None:
    with pytest.raises(RetryExhaustedError):
        await client.get(url)


async def test_opens_after_threshold_and_fails_fast(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """Two failed requests open the breaker; the third fails fast without a network call."""
    script = Script(503)
    async with make_client(script, breaker=CONFIG, max_retries=0) as client:
        await _fail(client)
        await _fail(client)
        with pytest.raises(CircuitOpenError) as caught:
            await client.get("/x")
    assert script.calls == 2
    assert isinstance(caught.value, ResilienceError)
    assert caught.value.origin == "http://svc"
    assert caught.value.retry_in == 30.0
    assert "circuit open for http://svc" in str(caught.value)


async def test_a_request_counts_once_whatever_its_retries(make_client: MakeClient) -> None:
    """Failures are counted per request: one request with 4 failed attempts is 1 failure."""
    script = Script(503)
    async with make_client(script, breaker=CONFIG) as client:
        await _fail(client)
        assert script.calls == 4
        await _fail(client)
        assert script.calls == 8
        with pytest.raises(CircuitOpenError):
            await client.get("/x")
    assert script.calls == 8


async def test_success_resets_the_count(make_client: MakeClient) -> None:
    """Failures must be consecutive: a success in between resets the count."""
    script = Script(503, 200, 503, 200)
    async with make_client(script, breaker=CONFIG, max_retries=0) as client:
        await _fail(client)
        assert (await client.get("/x")).status_code == 200
        await _fail(client)
        assert (await client.get("/x")).status_code == 200
    assert script.calls == 4


async def test_a_retried_success_counts_as_success(make_client: MakeClient) -> None:
    """A request that succeeds after retries is a success for the breaker."""
    script = Script(503, 503, 200, 503, 503, 503, 503, 503, 200, 503)
    async with make_client(script, breaker=CONFIG) as client:
        assert (await client.get("/x")).status_code == 200
        await _fail(client)
        assert (await client.get("/x")).status_code == 200
        await _fail(client)  # only one consecutive failure: still closed
        await _fail(client)
        with pytest.raises(CircuitOpenError):
            await client.get("/x")


async def test_half_open_success_closes(make_client: MakeClient, fake_time: FakeTime) -> None:
    """After reset_timeout one trial goes through; its success closes the breaker."""
    script = Script(503, 503, 200)
    async with make_client(script, breaker=CONFIG, max_retries=0) as client:
        await _fail(client)
        await _fail(client)
        fake_time.offset += 29.0
        with pytest.raises(CircuitOpenError) as caught:
            await client.get("/x")
        assert caught.value.retry_in == pytest.approx(1.0)
        fake_time.offset += 1.0
        assert (await client.get("/x")).status_code == 200
        assert (await client.get("/x")).status_code == 200
    assert script.calls == 4


async def test_half_open_failure_reopens(make_client: MakeClient, fake_time: FakeTime) -> None:
    """A failed trial opens the breaker again for a full reset_timeout."""
    script = Script(503)
    async with make_client(script, breaker=CONFIG, max_retries=0) as client:
        await _fail(client)
        await _fail(client)
        fake_time.offset += 30.0
        await _fail(client)
        with pytest.raises(CircuitOpenError) as caught:
            await client.get("/x")
    assert caught.value.retry_in == 30.0
    assert script.calls == 3


async def test_half_open_lets_one_trial_through(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """While the trial is in flight, other requests to the origin fail fast."""
    release = asyncio.Event()
    calls: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) <= 2:
            return httpx.Response(503)
        await release.wait()
        return httpx.Response(200)

    async with make_client(handler, breaker=CONFIG, max_retries=0) as client:
        await _fail(client)
        await _fail(client)
        fake_time.offset += 30.0
        trial = asyncio.create_task(client.get("/x"))
        while len(calls) < 3:
            await asyncio.sleep(0)
        with pytest.raises(CircuitOpenError) as caught:
            await client.get("/x")
        assert caught.value.retry_in == 0.0
        release.set()
        assert (await trial).status_code == 200
        assert (await client.get("/x")).status_code == 200


async def test_cancelled_trial_frees_the_slot(make_client: MakeClient, fake_time: FakeTime) -> None:
    """A cancelled trial gives no verdict: the next request becomes the trial."""
    hang = asyncio.Event()
    calls: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) <= 2:
            return httpx.Response(503)
        if len(calls) == 3:
            hang.set()
            await asyncio.Event().wait()
        return httpx.Response(200)

    async with make_client(handler, breaker=CONFIG, max_retries=0) as client:
        await _fail(client)
        await _fail(client)
        fake_time.offset += 30.0
        trial = asyncio.create_task(client.get("/x"))
        await hang.wait()
        trial.cancel()
        with pytest.raises(asyncio.CancelledError):
            await trial
        assert (await client.get("/x")).status_code == 200


async def test_cancel_during_retries_frees_the_trial(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """A trial cancelled in its backoff sleep frees the slot too."""
    script = Script(503, 503, 503, 200)

    async def sleep(seconds: float) -> None:
        raise asyncio.CancelledError

    async with make_client(script, breaker=CONFIG, sleep=sleep) as client:
        for _ in range(2):
            with pytest.raises(RetryExhaustedError):
                await client.get("/x", retry=False)
        fake_time.offset += 30.0
        with pytest.raises(asyncio.CancelledError):
            await client.get("/x")
        assert (await client.get("/x")).status_code == 200


async def test_unexpected_error_is_no_verdict(make_client: MakeClient) -> None:
    """An exception outside the policy neither opens nor closes the breaker."""
    script = Script(ValueError("bug"))
    async with make_client(script, breaker=CONFIG) as client:
        for _ in range(3):
            with pytest.raises(ValueError, match="bug"):
                await client.get("/x")
    assert script.calls == 3


async def test_breakers_are_per_origin(make_client: MakeClient) -> None:
    """An open breaker for one origin (scheme, host, port) leaves the others alone."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503 if request.url.host == "down" else 200)

    async with make_client(handler, breaker=CONFIG, max_retries=0) as client:
        await _fail(client, "http://down/a")
        await _fail(client, "http://down/b")
        with pytest.raises(CircuitOpenError):
            await client.get("http://down/c")
        assert (await client.get("http://up/a")).status_code == 200
        await _fail(client, "http://down:8080/a")
        await _fail(client, "https://down/a")


async def test_breaker_is_off_by_default(make_client: MakeClient) -> None:
    """Without breaker=, failures never make requests fail fast."""
    script = Script(503)
    async with make_client(script, max_retries=0) as client:
        for _ in range(10):
            await _fail(client)
    assert script.calls == 10


async def test_circuit_state_reports_each_origin(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """circuit_state: closed before any call, open after failures, half-open once it may try."""
    script = Script(503)
    async with make_client(script, breaker=CONFIG, max_retries=0) as client:
        assert client.circuit_state("http://svc/x") == "closed"
        await _fail(client)
        assert client.circuit_state("http://svc/y") == "closed"
        await _fail(client)
        assert client.circuit_state("http://svc") == "open"
        assert client.circuit_state(httpx.URL("http://other")) == "closed"
        fake_time.offset += 30.0
        assert client.circuit_state("http://svc") == "half_open"


async def test_circuit_state_without_breakers_is_none(make_client: MakeClient) -> None:
    """A client without breakers has no circuit state to report."""
    async with make_client(Script(200)) as client:
        assert client.circuit_state("http://svc") is None
