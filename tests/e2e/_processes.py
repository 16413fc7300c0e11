"""What the benchmarks' end-to-end tests share: every child process they start, watched.

Two records, because polling alone missed children now and then:

- **At spawn time.** :func:`traced` runs a Python program with an audit hook
  (:pep:`578`) that appends the command line of every ``subprocess.Popen`` it makes to
  a file, before the fork: a child that lives a millisecond is still recorded, and by
  its own command line.
- **By polling** (:meth:`Children.poll`), for the processes themselves (to find and
  kill what is left, grandchildren included). A poll can land between a child's fork
  and its exec, while it still shows its parent's command line: every poll reads the
  command line again, so the record ends up with what the child executes.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

__all__ = ["SPAWNED", "Children", "run_collecting", "table_rows", "traced"]

SPAWNED = "spawned.jsonl"
"""The spawn log's usual name, in the test's temporary directory."""

# Runs as `python -c HOOK LOG (-m MODULE | -c CODE) ARGS...`: records, then runs the program.
_HOOK = """\
import json, os, runpy, sys
log, how, what, *rest = sys.argv[1:]
def hook(event, args):
    if event == "subprocess.Popen":
        argv = args[1] if isinstance(args[1], (list, tuple)) else [args[1]]
        argv = [os.fsdecode(a) for a in argv]
        with open(log, "a", encoding="utf-8") as file:
            file.write(json.dumps(argv) + "\\n")
sys.addaudithook(hook)
if how == "-m":
    sys.argv = [what, *rest]
    runpy.run_module(what, run_name="__main__", alter_sys=True)
else:
    sys.argv = ["-c", *rest]
    exec(compile(what, "<string>", "exec"), {"__name__": "__main__"})
"""


def traced(log: Path, *program: str) -> list[str]:
    """The command line running ``program`` (``-m MODULE ARGS...`` or ``-c CODE ARGS...``)
    under Python, each ``subprocess.Popen`` it makes appended to ``log`` as it is made."""
    if not program or program[0] not in ("-m", "-c"):
        raise ValueError("program starts with -m MODULE or -c CODE")
    return [sys.executable, "-c", _HOOK, str(log), *program]


class Children:
    """Every descendant of a process, with its command line: polled, and (when the process
    runs :func:`traced`) recorded at spawn time in ``spawn_log``."""

    def __init__(self, process: subprocess.Popen[str], spawn_log: Path | None = None) -> None:
        self.process = process
        self.spawn_log = spawn_log
        self.seen: dict[int, tuple[psutil.Process, list[str]]] = {}

    def poll(self) -> None:
        """Note every descendant now running, reading each one's command line again."""
        with contextlib.suppress(psutil.NoSuchProcess):
            for proc in psutil.Process(self.process.pid).children(recursive=True):
                known = self.seen.get(proc.pid)
                # The same pid for a new process (reused) is a new entry.
                if known is not None and known[0] != proc:
                    known = None
                with contextlib.suppress(psutil.Error):
                    argv = proc.cmdline()
                    # A zombie reads as []: keep the last command line seen.
                    self.seen[proc.pid] = (proc, argv or (known[1] if known else []))

    def wait_for(self, condition: Callable[[], bool], *, timeout: float) -> bool:
        """Poll until ``condition()`` holds (True) or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if condition():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def spawned(self) -> list[list[str]]:
        """The command lines recorded at spawn time (none without a spawn log)."""
        if self.spawn_log is None or not self.spawn_log.exists():
            return []
        lines = self.spawn_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def commands(self) -> list[str]:
        """Every command line recorded or polled, each as one string."""
        argvs = [*self.spawned(), *(argv for _, argv in self.seen.values())]
        return [" ".join(argv) for argv in argvs]

    def serving(self) -> set[str]:
        """``users`` / ``gateway`` for ``backbone serve NAME``, ``nginx`` for its processes."""
        names = set()
        for argv in [*self.spawned(), *(argv for _, argv in self.seen.values())]:
            if "serve" in argv[:-1]:
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


def run_collecting(
    process: subprocess.Popen[str], spawn_log: Path | None = None
) -> tuple[str, str, Children]:
    """Wait for ``process``, noting its descendants; its stdout, stderr and the descendants."""
    children = Children(process, spawn_log)
    try:
        while process.poll() is None:
            children.poll()
            time.sleep(0.02)
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
