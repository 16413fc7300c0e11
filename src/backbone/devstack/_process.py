"""Child processes: start one in a session of its own, wait until it is ready, stop it.

Everything backbone's tooling starts goes through here: the embedded Redis and
PostgreSQL, the services of ``backbone up``, the benchmarks' servers and workers.

- :func:`spawn` starts a command in a new session (a Ctrl-C typed in the terminal
  reaches only us, and we stop the child in order), stdin closed, stdout and stderr
  appended to a log file after a banner line; optionally with ``PR_SET_PDEATHSIG``,
  so the kernel sends it SIGTERM should we die without a way out (SIGKILL).
- :meth:`Child.wait_ready` polls a probe (:func:`http_probe`, a Redis PING, a file)
  and fails with the log's tail if the child exits first or time runs out.
- :func:`stop_children` sends each child its stop signal, waits out a grace period,
  then sends SIGKILL to the process group of every child (also of those that exited:
  nothing they started may outlive them). :meth:`Child.stop` does so for one.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from backbone.devstack._errors import ChildError

__all__ = [
    "Child",
    "ProcessLike",
    "http_probe",
    "kill_group",
    "log_tail",
    "run_as_kwargs",
    "spawn",
    "stop_children",
]

logger = logging.getLogger(__name__)

LOG_TAIL_LINES = 40
_PR_SET_PDEATHSIG = 1

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class ProcessLike(Protocol):
    """What a :class:`Child` needs of its process (``subprocess.Popen`` has it)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file ('' when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def http_probe(url: str, *, timeout: float = 2.0) -> Callable[[], bool]:
    """A probe that is true once ``GET url`` answers 200 (proxy settings ignored: it is local)."""

    def probe() -> bool:
        try:
            return httpx.get(url, timeout=timeout, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    return probe


def kill_group(process: ProcessLike) -> None:
    """SIGKILL to the process group the child leads (it was started in its own session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:
        process.send_signal(signal.SIGKILL)


@dataclass(eq=False)
class Child:
    """One started process: its name, how it is asked to stop, where it logs."""

    name: str
    process: ProcessLike
    stop_signal: signal.Signals = signal.SIGTERM
    log_file: Path | None = None

    @property
    def pid(self) -> int:
        """The process id (also its process group and session id)."""
        return self.process.pid

    def poll(self) -> int | None:
        """The exit code once it exited, else None."""
        return self.process.poll()

    def failure(self, what: str) -> ChildError:
        """A :class:`ChildError` saying ``what`` happened to the child, with its log's tail."""
        message = f"{self.name} {what}"
        if self.log_file is not None:
            message += f"; last lines of {self.log_file}:\n{log_tail(self.log_file)}"
        return ChildError(message)

    def check_running(self) -> None:
        """Raise :class:`ChildError` (with the log's tail) if the child has exited."""
        if (code := self.poll()) is not None:
            raise self.failure(f"exited with code {code}")

    def wait_ready(
        self,
        probe: Callable[[], bool],
        *,
        timeout: float,
        interval: float = 0.1,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        """Poll ``probe`` until it is true; ChildError if the child exits or time runs out."""
        deadline = clock() + timeout
        while True:
            code = self.poll()
            if code is not None:
                raise self.failure(f"exited with code {code} during start-up")
            if probe():
                return
            if clock() >= deadline:
                raise self.failure(f"was not ready after {timeout:g}s")
            sleep(interval)

    def ask_to_stop(self) -> None:
        """Send the child its stop signal, unless it has exited."""
        if self.poll() is None:
            logger.info(
                "child_stopping name=%s pid=%s signal=%s",
                self.name,
                self.pid,
                self.stop_signal.name,
            )
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(self.stop_signal)

    def stop(self, *, grace: float = 10.0) -> bool:
        """Stop it: its signal, SIGKILL to its group after ``grace`` s; whether it was killed."""
        return bool(stop_children([self], grace=grace))


def _never() -> bool:
    return False


@dataclass(frozen=True, slots=True)
class _Poller:
    clock: Clock
    sleep: Sleep
    interval: float

    def wait_exit(
        self, children: Sequence[Child], grace: float, hurry: Callable[[], bool] = _never
    ) -> None:
        """Until every child has exited (poll() reaps it), ``grace`` s pass, or ``hurry()``."""
        deadline = self.clock() + grace
        while any(child.poll() is None for child in children):
            if hurry() or self.clock() >= deadline:
                return
            self.sleep(self.interval)


def stop_children(
    children: Sequence[Child],
    *,
    grace: float,
    hurry: Callable[[], bool] = _never,
    kill: Callable[[ProcessLike], None] = kill_group,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    interval: float = 0.1,
) -> list[Child]:
    """Stop ``children`` together (see the module docstring); those that had to be killed.

    ``hurry`` returning true cuts the grace period short (a second Ctrl-C).
    """
    poller = _Poller(clock, sleep, interval)
    for child in children:
        child.ask_to_stop()
    poller.wait_exit(children, grace, hurry)
    killed = [child for child in children if child.poll() is None]
    for child in children:
        if child in killed:
            logger.warning("child_killed name=%s pid=%s grace=%s", child.name, child.pid, grace)
        kill(child.process)
    poller.wait_exit(children, grace)
    return killed


def run_as_kwargs(run_as: tuple[int, int] | None) -> dict[str, Any]:
    """``subprocess`` arguments that run a command as ``(uid, gid)``, without other groups."""
    if run_as is None:
        return {}
    return {"user": run_as[0], "group": run_as[1], "extra_groups": []}


def _die_with_parent() -> Callable[[], None] | None:
    """What a child runs before exec to get SIGTERM when we die (``PR_SET_PDEATHSIG``)."""
    if sys.platform != "linux":
        return None
    # Looked up here, in the parent: the child between fork and exec should only call prctl.
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stop_signal: signal.Signals = signal.SIGTERM,
    die_with_parent: bool = False,
    run_as: tuple[int, int] | None = None,
) -> Child:
    """Start ``argv`` as a :class:`Child` (see the module docstring), without waiting.

    ``run_as`` is a ``(uid, gid)`` to run as, without supplementary groups (root only).
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        log.write(f"--- {name} starting at {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
        log.flush()
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent() if die_with_parent else None,
            **run_as_kwargs(run_as),
        )
    return Child(name, process, stop_signal, log_file)
