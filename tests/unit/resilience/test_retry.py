"""When ResilientClient retries, how long it waits, and when it gives up."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from backbone.resilience import ResilientClient, RetryExhaustedError, RetryPolicy

from .conftest import FakeTime, Script

MakeClient = Callable[..., ResilientClient]


async def test_seed_waits_1_2_4_then_raises(make_client: MakeClient, fake_time: FakeTime) -> None:
    """max_retries=3, initial_delay=1: four attempts, waits of 1, 2 and 4 s, then the error."""
    script = Script(503)
    async with make_client(script, max_retries=3, initial_delay=1.0) as client:
        with pytest.raises(RetryExhaustedError) as caught:
            await client.get("/flaky")
    assert script.calls == 4
    assert fake_time.waits == [1.0, 2.0, 4.0]
    assert len(caught.value.attempts) == 4


async def test_succeeds_after_two_failures(make_client: MakeClient, fake_time: FakeTime) -> None:
    """Two 503s then a 200: the 200 comes back after waits of 1 and 2 s."""
    script = Script(503, 503, 200)
    async with make_client(script, max_retries=3, initial_delay=1.0) as client:
        response = await client.get("/flaky")
    assert response.status_code == 200
    assert response.json() == {"call": 3}
    assert fake_time.waits == [1.0, 2.0]


async def test_success_makes_one_call_and_never_sleeps(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """A first-time success is one call and no wait."""
    script = Script(200)
    async with make_client(script) as client:
        assert (await client.get("/ok")).status_code == 200
    assert script.calls == 1
    assert fake_time.waits == []


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599, 429])
async def test_retries_every_5xx_and_429(make_client: MakeClient, status: int) -> None:
    """Any 5xx and 429 is retried by default."""
    script = Script(status, 200)
    async with make_client(script) as client:
        assert (await client.get("/x")).status_code == 200
    assert script.calls == 2


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 301])
async def test_other_statuses_are_returned_as_they_are(
    make_client: MakeClient, status: int
) -> None:
    """A 4xx (but 429) or 3xx is an answer, not a failure: returned, never retried."""
    script = Script(status, 200)
    async with make_client(script) as client:
        assert (await client.get("/x")).status_code == status
    assert script.calls == 1


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.PoolTimeout("pool timed out"),
        httpx.ConnectError("refused"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("bad"),
    ],
)
async def test_retries_timeouts_and_transport_errors(
    make_client: MakeClient, error: Exception, fake_time: FakeTime
) -> None:
    """Timeouts and other httpx transport errors are retried with the same backoff."""
    script = Script(error, error, 200)
    async with make_client(script) as client:
        assert (await client.get("/x")).status_code == 200
    assert fake_time.waits == [1.0, 2.0]


async def test_other_exceptions_pass_through_unretried(make_client: MakeClient) -> None:
    """An exception outside the policy (a bug, not a flaky network) propagates at once."""
    script = Script(ValueError("bug"), 200)
    async with make_client(script) as client:
        with pytest.raises(ValueError, match="bug"):
            await client.get("/x")
    assert script.calls == 1


async def test_configured_statuses_and_exceptions(make_client: MakeClient) -> None:
    """A policy may retry other statuses and exceptions, and stop retrying the defaults."""
    policy = RetryPolicy(statuses=frozenset({409}), exceptions=(ValueError,))
    script = Script(409, ValueError("flaky"), 503, 200)
    async with make_client(script, policy=policy) as client:
        assert (await client.get("/x")).status_code == 503
    assert script.calls == 3


async def test_max_retries_zero_means_one_attempt(make_client: MakeClient) -> None:
    """max_retries=0: one attempt, then the final exception."""
    script = Script(503)
    async with make_client(script, max_retries=0) as client:
        with pytest.raises(RetryExhaustedError):
            await client.get("/x")
    assert script.calls == 1


async def test_arguments_override_the_policy(make_client: MakeClient, fake_time: FakeTime) -> None:
    """max_retries and initial_delay override the policy's; its other fields stay."""
    policy = RetryPolicy(max_retries=9, initial_delay=5.0, max_delay=0.75)
    async with make_client(Script(503), policy=policy, max_retries=2, initial_delay=0.5) as client:
        with pytest.raises(RetryExhaustedError):
            await client.get("/x")
    assert fake_time.waits == [0.5, 0.75]


async def test_max_delay_caps_the_wait(make_client: MakeClient, fake_time: FakeTime) -> None:
    """The exponential wait stops growing at max_delay."""
    policy = RetryPolicy(max_retries=5, initial_delay=1.0, max_delay=3.0)
    async with make_client(Script(503), policy=policy) as client:
        with pytest.raises(RetryExhaustedError):
            await client.get("/x")
    assert fake_time.waits == [1.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize(
    ("jitter", "expected"),
    [
        ("full", [0.25, 0.5, 1.0]),
        ("equal", [0.625, 1.25, 2.5]),
        ("decorrelated", [1.5, 1.875, 2.15625]),
    ],
)
async def test_jitter_with_injected_random(
    make_client: MakeClient, fake_time: FakeTime, jitter: str, expected: list[float]
) -> None:
    """Each jitter mode uses the injected random source (0.25 here), deterministically."""
    policy = RetryPolicy(jitter=jitter)  # type: ignore[arg-type]
    async with make_client(Script(503), policy=policy, random=lambda: 0.25) as client:
        with pytest.raises(RetryExhaustedError):
            await client.get("/x")
    assert fake_time.waits == expected


def _retry_after(value: str) -> httpx.Response:
    return httpx.Response(503, headers={"Retry-After": value})


@pytest.mark.parametrize(
    ("value", "expected_wait"),
    [
        ("5", 5.0),
        ("2.5", 2.5),
        ("0", 1.0),
        ("Tue, 01 Jan 2030 12:00:07 GMT", 7.0),
        ("Mon, 01 Jan 2029 00:00:00 GMT", 1.0),
        ("86400000", 60.0),
        ("9" * 500, 60.0),
        ("soon", 1.0),
        ("-3", 1.0),
        ("", 1.0),
    ],
)
async def test_retry_after_is_honoured_within_the_cap(
    make_client: MakeClient, fake_time: FakeTime, value: str, expected_wait: float
) -> None:
    """wait = max(backoff, Retry-After capped at max_retry_after); junk falls back to backoff."""
    script = Script(_retry_after(value), 200)
    async with make_client(script) as client:
        assert (await client.get("/x")).status_code == 200
    assert fake_time.waits == [expected_wait]


async def test_retry_after_cap_is_configurable(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """max_retry_after bounds how long a server can make the client wait."""
    policy = RetryPolicy(max_retry_after=10.0)
    async with make_client(Script(_retry_after("3600"), 200), policy=policy) as client:
        await client.get("/x")
    assert fake_time.waits == [10.0]


async def test_retry_after_can_be_ignored(make_client: MakeClient, fake_time: FakeTime) -> None:
    """respect_retry_after=False: only the backoff counts."""
    policy = RetryPolicy(respect_retry_after=False)
    async with make_client(Script(_retry_after("30"), 200), policy=policy) as client:
        await client.get("/x")
    assert fake_time.waits == [1.0]


async def test_deadline_stops_before_a_wait_that_would_cross_it(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """deadline=5: waits 1 and 2 fit (t=3), the wait of 4 would end at 7 > 5: give up."""
    script = Script(503)
    async with make_client(script, policy=RetryPolicy(deadline=5.0)) as client:
        with pytest.raises(RetryExhaustedError, match="deadline") as caught:
            await client.get("/x")
    assert fake_time.waits == [1.0, 2.0]
    assert script.calls == 3
    assert len(caught.value.attempts) == 3


async def test_retry_after_never_sleeps_past_the_deadline(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """A Retry-After longer than what is left of the deadline means giving up, not sleeping."""
    script = Script(_retry_after("30"))
    async with make_client(script, policy=RetryPolicy(deadline=10.0)) as client:
        with pytest.raises(RetryExhaustedError, match="30s would cross the 10s deadline"):
            await client.get("/x")
    assert fake_time.waits == []
    assert script.calls == 1


async def test_deadline_counts_time_spent_in_attempts(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """Time spent inside slow attempts counts: 4 s + wait 1 fits in 6 s, 9 s + 2 does not."""

    async def slow(request: httpx.Request) -> httpx.Response:
        fake_time.offset += 4.0
        return httpx.Response(503)

    async with make_client(slow, policy=RetryPolicy(deadline=6.0)) as client:
        with pytest.raises(RetryExhaustedError) as caught:
            await client.get("/x")
    assert fake_time.waits == [1.0]
    assert [record.elapsed for record in caught.value.attempts] == [4.0, 9.0]
