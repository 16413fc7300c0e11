"""What the benchmarks' end-to-end tests share: every child process they start, watched."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import psutil


class Children:
    """Every descendant of a process seen while polling, with its command line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.seen: dict[int, tuple[psutil.Process, list[str]]] = {}

    def poll(self) -> None:
        with contextlib.suppress(psutil.NoSuchProcess):
            for proc in psutil.Process(self.process.pid).children(recursive=True):
                if proc.pid not in self.seen:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        self.seen[proc.pid] = (proc, proc.cmdline())

    def serving(self) -> set[str]:
        """``users`` / ``gateway`` for ``backbone serve NAME``, ``nginx`` for its processes."""
        names = set()
        for _, argv in self.seen.values():
            if "serve" in argv:
                names.add(argv[argv.index("serve") + 1])
            elif argv and Path(argv[0]).name.startswith("nginx"):
                names.add("nginx")
        return names

    def kill_alive(self) -> list[list[str]]:
        """SIGKILL to every seen process still running; their command lines."""
        alive = []
        for proc, argv in self.seen.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(argv)
                    proc.kill()
        return alive

    def assert_all_gone(self) -> None:
        alive = self.kill_alive()
        assert not alive, f"left running: {alive}"


def run_collecting(process: subprocess.Popen[str]) -> tuple[str, str, Children]:
    """Wait for ``process``, noting its descendants; its stdout, stderr and the descendants."""
    children = Children(process)
    try:
        while process.poll() is None:
            children.poll()
            time.sleep(0.05)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
            children.kill_alive()
    return stdout, stderr, children


def table_rows(stdout: str) -> list[str]:
    """The first cell of each row of the tables printed in ``stdout``."""
    return [line.split("│")[1].strip() for line in stdout.splitlines() if line.startswith("│ ")]
