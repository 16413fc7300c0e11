"""Watch the children a command started, stop them in order, and turn signals into a stop.

Children run in sessions of their own, so a Ctrl-C typed in the terminal reaches only
the command (``backbone up``, a benchmark); :class:`Supervisor` then stops them tier by
tier (for ``up``: services, then PostgreSQL, then Redis) with
:func:`~backbone.devstack._process.stop_children`: each gets its own shutdown signal,
and whatever is still running when the grace period ends gets SIGKILL, sent to its
whole process group.

Signals reach the command through :class:`SignalGuard`: the first SIGINT / SIGTERM /
SIGHUP becomes a :class:`StopRequested` raised in the main thread, unless it arrives
inside :meth:`SignalGuard.deferred` (used around spawning a child and recording it, so
no child escapes unrecorded), which raises it at the end of the block. Any later signal
only asks for the grace period to be cut short (:attr:`SignalGuard.hurry`).
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType

from backbone.devstack._process import Child, ProcessLike, kill_group, stop_children

__all__ = ["SignalGuard", "StopRequested", "Supervisor"]

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopRequested(KeyboardInterrupt):
    """A signal asked the command to stop.

    A ``KeyboardInterrupt`` (not an ``Exception``): the handler raises it wherever the main
    thread is, and when that is inside an asyncio callback (a benchmark's load runs on an
    event loop) the loop re-raises only ``SystemExit`` and ``KeyboardInterrupt`` — it logs
    anything else and carries on, and the stop would be lost. Nor does a broad ``except
    Exception`` swallow it on its way out.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class SignalGuard:
    """Turn stop signals into :class:`StopRequested` while it is entered (main thread only)."""

    _deferring: int = 0
    _pending: int | None = None
    _shutting_down: bool = False
    hurry: bool = False
    _previous: dict[int, object] = field(default_factory=dict)

    def __enter__(self) -> SignalGuard:
        for sig in HANDLED_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]  # what signal() returned
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._shutting_down:
            self.hurry = True
        elif self._deferring:
            self._pending = signum
        else:
            self._shutting_down = True
            raise StopRequested(signum)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold stop signals until the block ends, then raise for the first one received."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
        if not self._deferring and self._pending is not None and not self._shutting_down:
            signum, self._pending = self._pending, None
            self._shutting_down = True
            raise StopRequested(signum)

    def shutting_down(self) -> None:
        """From now on a signal only sets :attr:`hurry`."""
        self._shutting_down = True


@dataclass
class Supervisor:
    """The started children, in start order, each in a tier: the highest tier stops first."""

    grace: float = 10.0
    poll_interval: float = 0.1
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    kill: Callable[[ProcessLike], None] = kill_group
    _tiers: dict[Child, int] = field(default_factory=dict)

    @property
    def children(self) -> list[Child]:
        """The children recorded and not yet shut down, in start order."""
        return list(self._tiers)

    def add(self, child: Child, *, tier: int) -> Child:
        """Record a started child."""
        self._tiers[child] = tier
        return child

    def exited(self) -> Child | None:
        """The first child that is no longer running, if any."""
        return next((c for c in self._tiers if c.poll() is not None), None)

    def watch(self) -> Child:
        """Block until a child exits, and return it (a stop signal interrupts this)."""
        while (child := self.exited()) is None:
            self.sleep(self.poll_interval)
        return child

    def shutdown(self, *, hurry: Callable[[], bool] = lambda: False) -> list[str]:
        """Stop every child, highest tier first; return the names that had to be killed."""
        killed: list[str] = []
        for tier in sorted(set(self._tiers.values()), reverse=True):
            children = [child for child, its in self._tiers.items() if its == tier]
            stopped = stop_children(
                children,
                grace=self.grace,
                hurry=hurry,
                kill=self.kill,
                clock=self.clock,
                sleep=self.sleep,
                interval=self.poll_interval,
            )
            killed += [child.name for child in stopped]
        self._tiers.clear()
        return killed
