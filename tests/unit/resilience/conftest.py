"""Fakes for the resilience tests: scripted transports, tracked bodies, a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backbone.resilience import ResilientClient, set_testing

WALL_START = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)

Outcome = int | httpx.Response | BaseException


@dataclass
class FakeTime:
    """A monotonic clock, a wall clock and a sleep that records waits and advances both."""

    offset: float = 0.0
    waits: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return 1000.0 + self.offset

    def now(self) -> datetime:
        return WALL_START + timedelta(seconds=self.offset)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.offset += seconds
        await asyncio.sleep(0)


class Script:
    """A MockTransport handler replaying outcomes in order (the last one repeats)."""

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    @property
    def calls(self) -> int:
        return len(self.requests)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(await request.aread())
        outcome = self.outcomes[min(len(self.requests), len(self.outcomes)) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, int):
            return httpx.Response(outcome, json={"call": len(self.requests)})
        return outcome


class Tracker:
    """Counts response streams opened (created) and closed."""

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0

    def response(self, status: int) -> httpx.Response:
        return httpx.Response(status, stream=TrackedStream(self))


class TrackedStream(httpx.AsyncByteStream):
    """A response body that reports its aclose() to a Tracker."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.is_closed = False
        tracker.opened += 1

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"body"

    async def aclose(self) -> None:
        if not self.is_closed:
            self.is_closed = True
            self.tracker.closed += 1


@pytest.fixture
def fake_time() -> FakeTime:
    """A fresh fake clock for the test."""
    return FakeTime()


@pytest.fixture(autouse=True)
def _testing_mode_off() -> Iterator[None]:
    set_testing(False)
    yield
    set_testing(False)


@pytest.fixture
def make_client(fake_time: FakeTime) -> Callable[..., ResilientClient]:
    """Build a ResilientClient on a Script, with the fake clock injected."""

    def make(handler: Callable[..., Any], **kwargs: Any) -> ResilientClient:
        kwargs.setdefault("sleep", fake_time.sleep)
        kwargs.setdefault("clock", fake_time.monotonic)
        kwargs.setdefault("now", fake_time.now)
        kwargs.setdefault("base_url", "http://svc")
        return ResilientClient(transport=httpx.MockTransport(handler), **kwargs)

    return make
