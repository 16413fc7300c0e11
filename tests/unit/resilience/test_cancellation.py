"""Cancellation passes straight through: no retry, no swallowed cancel, no task left behind."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from backbone.resilience import ResilientClient

from .conftest import Script

MakeClient = Callable[..., ResilientClient]


def _only_this_task_left() -> bool:
    return asyncio.all_tasks() == {asyncio.current_task()}


async def test_cancel_during_backoff_sleep(make_client: MakeClient) -> None:
    """A cancel while waiting to retry cancels the sleep and propagates; nothing is retried."""
    sleeping = asyncio.Event()
    sleep_cancelled: list[bool] = []

    async def sleep(seconds: float) -> None:
        sleeping.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            sleep_cancelled.append(True)
            raise

    script = Script(503, 200)
    async with make_client(script, sleep=sleep) as client:
        task = asyncio.create_task(client.get("/x"))
        await sleeping.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert sleep_cancelled == [True]
    assert script.calls == 1
    assert _only_this_task_left()


async def test_cancel_during_a_request(make_client: MakeClient) -> None:
    """A cancel while an attempt is in flight propagates at once, with no retry and no sleep."""
    in_flight = asyncio.Event()
    calls: list[int] = []
    waits: list[float] = []

    async def hang(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        in_flight.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")  # pragma: no cover - the wait never ends

    async def sleep(seconds: float) -> None:
        waits.append(seconds)  # pragma: no cover - must not be reached

    async with make_client(hang, sleep=sleep) as client:
        task = asyncio.create_task(client.get("/x"))
        await in_flight.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert calls == [1]
    assert waits == []
    assert _only_this_task_left()


async def test_cancel_during_a_retry_attempt(make_client: MakeClient) -> None:
    """A cancel during the second attempt propagates; the first response was closed."""
    first = httpx.Response(503)
    in_flight = asyncio.Event()
    calls: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return first
        in_flight.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")  # pragma: no cover - the wait never ends

    async with make_client(handler) as client:
        task = asyncio.create_task(client.get("/x"))
        await in_flight.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert calls == [1, 1]
    assert first.is_closed
    assert _only_this_task_left()


async def test_asyncio_timeout_interrupts_the_real_backoff_sleep() -> None:
    """asyncio.timeout around a request cuts the (real) 30 s backoff sleep short."""
    script = Script(503, 200)
    client = ResilientClient(initial_delay=30.0, transport=httpx.MockTransport(script))
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with client:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await client.get("http://svc/x")
    assert loop.time() - started < 5.0
    assert script.calls == 1
    assert _only_this_task_left()


async def test_cancelled_error_from_the_transport_is_not_retried(make_client: MakeClient) -> None:
    """A CancelledError raised inside the transport propagates on the first attempt."""
    script = Script(asyncio.CancelledError(), 200)
    async with make_client(script) as client:
        with pytest.raises(asyncio.CancelledError):
            await client.get("/x")
    assert script.calls == 1
