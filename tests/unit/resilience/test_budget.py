"""The retry budget: retries stay a bounded fraction of the traffic, whatever fails upstream."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from backbone.resilience import (
    GiveUpEvent,
    ResilientClient,
    RetryBudget,
    RetryEvent,
    RetryExhaustedError,
    RetryPolicy,
)

from .conftest import FakeTime, Script

MakeClient = Callable[..., ResilientClient]
LOGGER = "backbone.resilience._instrumentation"


@pytest.fixture
def budget_client(make_client: MakeClient) -> MakeClient:
    """A client whose retries do not wait, so the fake clock only moves when a test says so."""

    def make(
        handler: Callable[..., object], budget: RetryBudget, **kwargs: object
    ) -> ResilientClient:
        kwargs.setdefault("initial_delay", 0.0)
        return make_client(handler, budget=budget, **kwargs)

    return make


async def _fail(client: ResilientClient, url: str = "/x") -> RetryExhaustedError:
    with pytest.raises(RetryExhaustedError) as caught:
        await client.get(url)
    return caught.value


def test_defaults_are_finagles() -> None:
    """RetryBudget() is 20% of requests plus 10 retries a second, at most 100 saved up."""
    budget = RetryBudget()
    assert (budget.ratio, budget.min_per_second, budget.burst) == (0.2, 10.0, 100.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        budget.ratio = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ratio": -0.1}, "ratio must be a finite number >= 0"),
        ({"ratio": float("nan")}, "ratio must be a finite number >= 0"),
        ({"ratio": float("inf")}, "ratio must be a finite number >= 0"),
        ({"min_per_second": -1.0}, "min_per_second must be a finite number >= 0"),
        ({"min_per_second": float("inf")}, "min_per_second must be a finite number >= 0"),
        ({"burst": 0.5}, "burst must be a finite number >= 1"),
        ({"burst": float("nan")}, "burst must be a finite number >= 1"),
        ({"ratio": 0.0, "min_per_second": 0.0}, "would never refill"),
    ],
)
def test_invalid_options_are_refused(kwargs: dict[str, float], message: str) -> None:
    """Negative, infinite or NaN values, a burst below one token, a budget that never refills."""
    with pytest.raises(ValueError, match=message):
        RetryBudget(**kwargs)


async def test_retries_are_a_fraction_of_requests(budget_client: MakeClient) -> None:
    """100 requests to a failing upstream at ratio 0.2 make 20 retries, not 100 x 3."""
    script = Script(503)
    budget = RetryBudget(ratio=0.2, min_per_second=0.0, burst=1.0)
    async with budget_client(script, budget, max_retries=3) as client:
        for _ in range(100):
            await _fail(client)
    # The token the bucket starts with, then one per 5 requests: the 1st request's deposit
    # is clipped by the full bucket, and the last 4 leave 0.8 of a token unspent.
    assert script.calls - 100 == 20


async def test_retries_stay_under_ratio_plus_burst(budget_client: MakeClient) -> None:
    """1,000 failing requests retry at most ratio x 1,000 + burst times: the load stays bounded."""
    script = Script(503)
    budget = RetryBudget(ratio=0.1, min_per_second=0.0, burst=10.0)
    async with budget_client(script, budget, max_retries=5) as client:
        for _ in range(1_000):
            await _fail(client)
    assert 100 <= script.calls - 1_000 <= 110


async def test_tokens_refill_over_time(budget_client: MakeClient, fake_time: FakeTime) -> None:
    """At min_per_second=2 a spent token is back after 0.5 s of the injected clock, not before."""
    script = Script(503)
    budget = RetryBudget(ratio=0.0, min_per_second=2.0, burst=1.0)
    async with budget_client(script, budget) as client:
        assert len((await _fail(client)).attempts) == 2
        fake_time.offset += 0.25
        assert len((await _fail(client)).attempts) == 1
        fake_time.offset += 0.25
        assert len((await _fail(client)).attempts) == 2
    assert script.calls == 5


async def test_backoff_waits_count_as_refill_time(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """Time spent sleeping between retries refills the budget too: 1 s at 1 token/s."""
    script = Script(503)
    budget = RetryBudget(ratio=0.0, min_per_second=1.0, burst=1.0)
    async with make_client(script, budget=budget, max_retries=3, initial_delay=1.0) as client:
        error = await _fail(client)
    assert fake_time.waits == [1.0, 2.0, 4.0]
    assert len(error.attempts) == 4


async def test_balance_is_capped_at_burst(budget_client: MakeClient, fake_time: FakeTime) -> None:
    """However long the client idles, it saves up at most burst tokens: 3 retries of 10 allowed."""
    script = Script(503)
    budget = RetryBudget(ratio=0.0, min_per_second=1.0, burst=3.0)
    async with budget_client(script, budget, max_retries=10) as client:
        await _fail(client)
        fake_time.offset += 1_000.0
        error = await _fail(client)
    assert len(error.attempts) == 4


async def test_deposits_are_capped_at_burst(budget_client: MakeClient) -> None:
    """Many successes save up no more than burst tokens either."""
    script = Script(*[503] * 3, *[200] * 10, 503)
    budget = RetryBudget(ratio=1.0, min_per_second=0.0, burst=2.0)
    async with budget_client(script, budget, max_retries=10) as client:
        assert len((await _fail(client)).attempts) == 3
        for _ in range(10):
            assert (await client.get("/x")).status_code == 200
        assert len((await _fail(client)).attempts) == 3


async def test_successful_first_attempts_deposit(budget_client: MakeClient) -> None:
    """Three successes at ratio 0.5 (plus the failing request's own 0.5) pay for two retries."""
    script = Script(*[503] * 7, 200, 200, 200, 503)
    budget = RetryBudget(ratio=0.5, min_per_second=0.0, burst=5.0)
    async with budget_client(script, budget, max_retries=10) as client:
        assert len((await _fail(client)).attempts) == 6
        assert len((await _fail(client)).attempts) == 1
        for _ in range(3):
            assert (await client.get("/x")).status_code == 200
        assert len((await _fail(client)).attempts) == 3


async def _chunks() -> AsyncIterator[bytes]:
    yield b"streamed"


async def test_requests_that_are_not_retried_do_not_spend(budget_client: MakeClient) -> None:
    """POSTs, retry=False and streamed bodies, all sent once, leave the one token in place."""
    script = Script(503)
    budget = RetryBudget(ratio=0.0, min_per_second=1.0, burst=1.0)
    async with budget_client(script, budget) as client:
        with pytest.raises(RetryExhaustedError, match="not idempotent"):
            await client.post("/x", json={})
        with pytest.raises(RetryExhaustedError, match="retry=False"):
            await client.get("/x", retry=False)
        with pytest.raises(RetryExhaustedError, match="cannot be replayed"):
            await client.put("/x", content=_chunks())
        assert len((await _fail(client)).attempts) == 2


async def test_a_deadline_give_up_does_not_spend(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """A retry refused by the deadline costs no token: the next request still gets its retry."""
    script = Script(httpx.Response(503, headers={"Retry-After": "30"}), 503)
    budget = RetryBudget(ratio=0.0, min_per_second=0.001, burst=1.0)
    client = make_client(script, budget=budget, policy=RetryPolicy(deadline=10.0))
    async with client:
        with pytest.raises(RetryExhaustedError, match="deadline"):
            await client.get("/x")
        with pytest.raises(RetryExhaustedError, match="retry budget exhausted") as caught:
            await client.get("/x")
    assert len(caught.value.attempts) == 2
    assert fake_time.waits == [1.0]


async def test_give_up_says_why(
    budget_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused retry raises at once, lists the attempts, closes the response, tells the hooks."""
    caplog.set_level(logging.ERROR, logger=LOGGER)
    retries: list[RetryEvent] = []
    giveups: list[GiveUpEvent] = []
    script = Script(503)
    budget = RetryBudget(ratio=0.0, min_per_second=1.0, burst=1.0)
    client = budget_client(script, budget, on_retry=retries.append, on_giveup=giveups.append)
    async with client:
        error = await _fail(client)
    assert "retry budget exhausted" in str(error)
    assert [record.status for record in error.attempts] == [503, 503]
    assert error.last_response is not None
    assert error.last_response.is_closed
    assert len(retries) == 1
    (event,) = giveups
    assert event.reason.startswith("retry budget exhausted")
    assert event.error is error
    (record,) = [r for r in caplog.records if r.name == LOGGER]
    assert record.reason == event.reason  # type: ignore[attr-defined]


async def test_concurrent_requests_share_one_budget(budget_client: MakeClient) -> None:
    """Ten requests failing at the same time share the client's 3 tokens: 3 retries in all."""
    script = Script(503)
    budget = RetryBudget(ratio=0.0, min_per_second=1.0, burst=3.0)
    async with budget_client(script, budget) as client:
        results = await asyncio.gather(
            *(client.get("/x") for _ in range(10)), return_exceptions=True
        )
    assert all(isinstance(result, RetryExhaustedError) for result in results)
    assert script.calls == 13


async def test_each_client_has_its_own_balance(budget_client: MakeClient) -> None:
    """RetryBudget is configuration: two clients given the same one keep separate balances."""
    budget = RetryBudget(ratio=0.0, min_per_second=1.0, burst=1.0)
    first, second = Script(503), Script(503)
    async with budget_client(first, budget) as one, budget_client(second, budget) as two:
        await _fail(one)
        await _fail(two)
        assert one.budget is two.budget is budget
    assert (first.calls, second.calls) == (2, 2)


async def test_no_budget_changes_nothing(make_client: MakeClient, fake_time: FakeTime) -> None:
    """budget=None (the default): 100 failing requests make all their 4 attempts each."""
    script = Script(503)
    async with make_client(script) as client:
        assert client.budget is None
        for _ in range(100):
            error = await _fail(client)
    assert script.calls == 400
    assert "max_retries=3 exhausted" in str(error)
    assert fake_time.waits[:3] == [1.0, 2.0, 4.0]
