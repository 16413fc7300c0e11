"""The testing mode users turn on in their own suites: no waits, capped attempts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backbone.resilience import (
    ResilientClient,
    RetryEvent,
    RetryExhaustedError,
    is_testing,
    set_testing,
    testing,
)

from .conftest import FakeTime, Script

MakeClient = Callable[..., ResilientClient]


async def test_set_testing_caps_attempts_and_skips_waits(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    """set_testing(True, attempts=2): two attempts, no sleep, hooks still see the wait."""
    events: list[RetryEvent] = []
    set_testing(True, attempts=2)
    assert is_testing()
    script = Script(503)
    async with make_client(script, on_retry=events.append) as client:
        with pytest.raises(RetryExhaustedError, match="testing mode allows 2 attempt"):
            await client.get("/x")
    assert script.calls == 2
    assert fake_time.waits == []
    assert [e.wait for e in events] == [1.0]


async def test_default_testing_mode_is_one_attempt(make_client: MakeClient) -> None:
    """set_testing(True) makes a single attempt."""
    set_testing(True)
    script = Script(503, 200)
    async with make_client(script) as client:
        with pytest.raises(RetryExhaustedError):
            await client.get("/x")
    assert script.calls == 1


async def test_testing_cap_never_raises_attempts(make_client: MakeClient) -> None:
    """The cap only lowers: attempts=10 with max_retries=1 still makes 2 attempts."""
    set_testing(True, attempts=10)
    script = Script(503)
    async with make_client(script, max_retries=1) as client:
        with pytest.raises(RetryExhaustedError, match="max_retries=1 exhausted"):
            await client.get("/x")
    assert script.calls == 2


async def test_testing_context_manager_restores(make_client: MakeClient) -> None:
    """testing() switches the mode on inside the block and restores the previous mode."""
    assert not is_testing()
    with testing(attempts=3):
        assert is_testing()
        with testing(attempts=1):
            script = Script(503, 200)
            async with make_client(script) as client:
                with pytest.raises(RetryExhaustedError):
                    await client.get("/x")
            assert script.calls == 1
        assert is_testing()
    assert not is_testing()


def test_set_testing_off_and_validation() -> None:
    """set_testing(False) switches it off; attempts below 1 are refused."""
    set_testing(True, attempts=3)
    set_testing(False)
    assert not is_testing()
    with pytest.raises(ValueError, match="attempts must be >= 1"):
        set_testing(True, attempts=0)
