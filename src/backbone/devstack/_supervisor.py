"""Keep track of the processes ``backbone up`` starts, watch them, and stop them in order.

Children run in sessions of their own, so a Ctrl-C typed in the terminal reaches only
``up``; ``up`` then stops them tier by tier (services, then PostgreSQL, then Redis):
each gets its own shutdown signal, and whatever is still running when the grace period
ends gets SIGKILL, sent to its whole process group.

Signals reach ``up`` through :class:`SignalGuard`: the first SIGINT / SIGTERM / SIGHUP
becomes a :class:`StopRequested` raised in the main thread, unless it arrives inside
:meth:`SignalGuard.deferred` (used around spawning a child and recording it, so no child
escapes unrecorded), which raises it at the end of the block. Any later signal only asks
for the grace period to be cut short (:attr:`SignalGuard.hurry`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Protocol

__all__ = ["Child", "ProcessLike", "SignalGuard", "StopRequested", "Supervisor"]

logger = logging.getLogger(__name__)

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class ProcessLike(Protocol):
    """What the supervisor needs of a process (``subprocess.Popen`` has it)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...


@dataclass(eq=False)
class Child:
    """One started process; ``tier`` orders shutdown (the highest tier stops first)."""

    name: str
    process: ProcessLike
    tier: int
    stop_signal: signal.Signals = signal.SIGTERM
    log_file: Path | None = None


def kill_group(process: ProcessLike) -> None:
    """SIGKILL to the process group the child leads (it was started in its own session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:
        process.send_signal(signal.SIGKILL)


class StopRequested(Exception):
    """A signal asked ``up`` to stop."""

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
    """The started children, in start order."""

    grace: float = 10.0
    poll_interval: float = 0.1
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    kill: Callable[[ProcessLike], None] = kill_group
    children: list[Child] = field(default_factory=list)

    def add(self, child: Child) -> Child:
        """Record a started child."""
        self.children.append(child)
        return child

    def exited(self) -> Child | None:
        """The first child that is no longer running, if any."""
        return next((c for c in self.children if c.process.poll() is not None), None)

    def watch(self) -> Child:
        """Block until a child exits, and return it (a stop signal interrupts this)."""
        while (child := self.exited()) is None:
            self.sleep(self.poll_interval)
        return child

    def shutdown(self, *, hurry: Callable[[], bool] = lambda: False) -> list[str]:
        """Stop every child, highest tier first; return the names that had to be killed."""
        killed: list[str] = []
        for tier in sorted({c.tier for c in self.children}, reverse=True):
            killed += self._stop_tier([c for c in self.children if c.tier == tier], hurry)
        self.children.clear()
        return killed

    def _stop_tier(self, tier: list[Child], hurry: Callable[[], bool]) -> list[str]:
        for child in tier:
            if child.process.poll() is None:
                logger.info("stopping name=%s pid=%s", child.name, child.process.pid)
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(child.stop_signal)
        deadline = self.clock() + self.grace
        while any(c.process.poll() is None for c in tier):
            if hurry() or self.clock() >= deadline:
                break
            self.sleep(self.poll_interval)
        killed = []
        for child in tier:
            if child.process.poll() is None:
                logger.warning("killing name=%s pid=%s", child.name, child.process.pid)
                killed.append(child.name)
            # Also for children that exited: nothing they spawned may outlive them.
            self.kill(child.process)
        self._reap(tier)
        return killed

    def _reap(self, tier: list[Child]) -> None:
        deadline = self.clock() + self.grace
        while any(c.process.poll() is None for c in tier) and self.clock() < deadline:
            self.sleep(self.poll_interval)
