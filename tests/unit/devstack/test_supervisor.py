"""Stopping what ``up`` started, in order, with escalation; signals turned into a stop request."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

import pytest

from backbone.devstack import (
    Child,
    ProcessLike,
    SignalGuard,
    StopRequested,
    Supervisor,
)


@dataclass
class FakeClock:
    """A clock that moves only when the code under test sleeps."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class FakeProcess:
    """A process that exits ``exits_after`` seconds after its first signal (None: never)."""

    clock: FakeClock
    log: list[str]
    name: str
    pid: int = 1000
    exits_after: float | None = 0.0
    code: int | None = None
    _stop_at: float | None = None

    def poll(self) -> int | None:
        if self.code is None and self._stop_at is not None and self.clock.now >= self._stop_at:
            self.code = 0
        return self.code

    def send_signal(self, sig: int) -> None:
        self.log.append(f"{self.name}:{signal.Signals(sig).name}")
        if self.exits_after is not None and self._stop_at is None:
            self._stop_at = self.clock.now + self.exits_after

    def killed(self) -> None:
        self.log.append(f"{self.name}:SIGKILL")
        if self.code is None:
            self.code = -9


def _supervisor(clock: FakeClock, grace: float = 5.0) -> Supervisor:
    def kill(process: ProcessLike) -> None:
        assert isinstance(process, FakeProcess)
        process.killed()

    return Supervisor(grace=grace, poll_interval=0.5, clock=clock, sleep=clock.sleep, kill=kill)


def test_shutdown_stops_services_then_postgres_then_redis() -> None:
    """Tiers stop highest first, each process with its own signal, and all are reaped."""
    clock, log = FakeClock(), list[str]()
    sup = _supervisor(clock)
    redis = FakeProcess(clock, log, "redis", exits_after=1.0)
    postgres = FakeProcess(clock, log, "postgres", exits_after=1.0)
    flaky = FakeProcess(clock, log, "flaky", exits_after=1.0)
    sup.add(Child("redis", redis), tier=0)
    sup.add(Child("postgres", postgres, signal.SIGINT), tier=1)
    sup.add(Child("flaky", flaky), tier=3)
    assert sup.shutdown() == []
    signals = [entry for entry in log if not entry.endswith("SIGKILL")]
    assert signals == ["flaky:SIGTERM", "postgres:SIGINT", "redis:SIGTERM"]
    assert all(p.poll() == 0 for p in (redis, postgres, flaky))
    assert sup.children == []


def test_a_process_that_ignores_its_signal_is_killed_after_the_grace_period() -> None:
    """Past the grace period the stubborn child gets SIGKILL and is reported; others not."""
    clock, log = FakeClock(), list[str]()
    sup = _supervisor(clock, grace=5.0)
    stubborn = FakeProcess(clock, log, "stubborn", exits_after=None)
    polite = FakeProcess(clock, log, "polite", exits_after=0.0)
    sup.add(Child("stubborn", stubborn), tier=2)
    sup.add(Child("polite", polite), tier=2)
    assert sup.shutdown() == ["stubborn"]
    assert stubborn.poll() == -9
    assert polite.poll() == 0
    assert 5.0 <= clock.now < 6.0


def test_hurry_cuts_the_grace_period_short() -> None:
    """A second Ctrl-C (hurry) kills at once instead of waiting out the grace period."""
    clock, log = FakeClock(), list[str]()
    sup = _supervisor(clock, grace=60.0)
    stubborn = FakeProcess(clock, log, "stubborn", exits_after=None)
    sup.add(Child("stubborn", stubborn), tier=2)
    assert sup.shutdown(hurry=lambda: clock.now >= 1.0) == ["stubborn"]
    assert clock.now < 2.0


def test_already_exited_children_get_no_signal_but_their_group_is_killed() -> None:
    """A child that died is not signalled again, but whatever it left in its group is killed."""
    clock, log = FakeClock(), list[str]()
    sup = _supervisor(clock)
    dead = FakeProcess(clock, log, "dead", code=1)
    sup.add(Child("dead", dead), tier=2)
    assert sup.shutdown() == []
    assert log == ["dead:SIGKILL"]


def test_watch_returns_the_child_that_exited() -> None:
    """watch() blocks (sleeping) until some child exits, then names it."""
    clock, log = FakeClock(), list[str]()
    sup = _supervisor(clock)
    alive = FakeProcess(clock, log, "alive")
    dying = FakeProcess(clock, log, "dying", exits_after=2.0)
    sup.add(Child("alive", alive), tier=2)
    sup.add(Child("dying", dying), tier=2)
    dying.send_signal(signal.SIGTERM)  # it will exit 2 s from now
    assert sup.watch().name == "dying"
    assert clock.now == pytest.approx(2.0)


def test_a_signal_becomes_a_stop_request_and_later_ones_only_hurry() -> None:
    """SIGTERM raises StopRequested once; a second signal sets hurry; handlers are restored."""
    previous = signal.getsignal(signal.SIGTERM)
    with SignalGuard() as guard:
        with pytest.raises(StopRequested) as info:
            signal.raise_signal(signal.SIGTERM)
        assert info.value.signum == signal.SIGTERM
        assert not guard.hurry
        signal.raise_signal(signal.SIGINT)
        assert guard.hurry
    assert signal.getsignal(signal.SIGTERM) is previous


def test_deferred_signals_are_raised_when_the_block_ends() -> None:
    """A signal inside deferred() does not interrupt the block; it is raised right after."""
    finished: list[bool] = []

    def spawn_and_record(guard: SignalGuard) -> None:
        with guard.deferred():
            signal.raise_signal(signal.SIGINT)
            finished.append(True)

    with SignalGuard() as guard:
        with pytest.raises(StopRequested, match="SIGINT"):
            spawn_and_record(guard)
        assert finished == [True]


def test_a_stop_inside_an_event_loop_callback_is_not_swallowed() -> None:
    """A stop raised inside an asyncio callback leaves asyncio.run (the loop logs and drops
    any Exception raised there)."""
    import asyncio

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_soon(_raise_stop)
        await asyncio.sleep(5)

    with pytest.raises(StopRequested, match="SIGTERM"):
        asyncio.run(main())


def _raise_stop() -> None:
    raise StopRequested(signal.SIGTERM)
