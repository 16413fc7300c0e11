"""Every discarded response is closed; streaming retries only cover getting the headers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backbone.resilience import ResilientClient, RetryExhaustedError

from .conftest import FakeTime, Tracker

MakeClient = Callable[..., ResilientClient]


async def test_ten_thousand_failed_attempts_leave_nothing_open(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """2,500 requests x 4 failed attempts: 10,000 responses opened, 10,000 closed."""
    tracker = Tracker()
    async with make_client(lambda request: tracker.response(503)) as client:
        for _ in range(2_500):
            with pytest.raises(RetryExhaustedError):
                await client.get("/x")
    assert tracker.opened == 10_000
    assert tracker.closed == 10_000
    assert len(fake_time.waits) == 7_500


async def test_streamed_failed_attempts_are_closed(make_client: MakeClient) -> None:
    """stream(): failed attempts are closed unread; the good one stays open inside the block."""
    tracker = Tracker()
    statuses = iter([503, 502, 200])
    async with (
        make_client(lambda request: tracker.response(next(statuses))) as client,
        client.stream("GET", "/x") as response,
    ):
        assert response.status_code == 200
        assert (tracker.opened, tracker.closed) == (3, 2)
        assert await response.aread() == b"body"
    assert tracker.closed == 3


async def test_stream_closes_the_response_when_the_block_raises(make_client: MakeClient) -> None:
    """A stream() block that raises still closes the response."""
    tracker = Tracker()
    async with make_client(lambda request: tracker.response(200)) as client:
        with pytest.raises(KeyError):
            async with client.stream("GET", "/x"):
                raise KeyError("boom")
    assert (tracker.opened, tracker.closed) == (1, 1)


async def test_streamed_exhaustion_closes_every_response(make_client: MakeClient) -> None:
    """stream() that runs out of attempts closes all responses, the last one included."""
    tracker = Tracker()
    async with make_client(lambda request: tracker.response(503)) as client:
        with pytest.raises(RetryExhaustedError) as caught:
            async with client.stream("GET", "/x"):
                raise AssertionError("unreachable")  # pragma: no cover - no response yielded
    assert (tracker.opened, tracker.closed) == (4, 4)
    assert caught.value.last_response is not None
    assert caught.value.last_response.is_closed


async def test_streamed_hook_error_closes_the_pending_response(make_client: MakeClient) -> None:
    """If an on_retry hook raises, the failed response it was about is already closed."""
    tracker = Tracker()

    def broken_hook(event: object) -> None:
        raise RuntimeError("hook bug")

    async with make_client(lambda request: tracker.response(503), on_retry=broken_hook) as client:
        with pytest.raises(RuntimeError, match="hook bug"):
            async with client.stream("GET", "/x"):
                raise AssertionError("unreachable")  # pragma: no cover - no response yielded
    assert (tracker.opened, tracker.closed) == (1, 1)


async def test_streamed_giveup_hook_error_still_closes(make_client: MakeClient) -> None:
    """If on_giveup raises, the last response is closed all the same."""
    tracker = Tracker()

    def broken_hook(event: object) -> None:
        raise RuntimeError("giveup hook bug")

    client = make_client(lambda request: tracker.response(503), on_giveup=broken_hook)
    async with client:
        with pytest.raises(RuntimeError, match="giveup hook bug"):
            async with client.stream("GET", "/x", retry=False):
                raise AssertionError("unreachable")  # pragma: no cover - no response yielded
    assert (tracker.opened, tracker.closed) == (1, 1)
