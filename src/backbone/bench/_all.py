"""``backbone bench all`` (``make bench``): every benchmark, its results kept in one folder.

Each benchmark runs as ``backbone bench NAME`` in a process of its own, one after the
other (they would measure each other otherwise), a child of
:func:`backbone.bench._stack.children` so that a Ctrl-C stops it and everything it
started. What it prints, tables and progress, goes to ``bench-NAME.txt``; ``locust``
writes Locust's HTML and CSV reports beside them. The folder is
``OUT/<UTC time>/`` (``OUT/latest`` points at the newest) and holds an ``index.md``: the
machine, the commit, each benchmark's exit code, time and files, and every table.

``seconds`` is the measured seconds of each load (gateway, reports, assistant, review);
``locust_seconds`` and ``locust_users`` size the Locust run. Everything else is each
benchmark's default. A benchmark that fails is said in the index and the exit code; the
others still run.
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from backbone.bench._output import printer, run_bench
from backbone.bench._stack import Starter, children
from backbone.devstack import SignalGuard

__all__ = ["BENCHMARKS", "AllOptions", "bench_all", "bench_argv"]

BENCHMARKS = ("client", "gateway", "reports", "assistant", "review", "community", "locust")
"""Every benchmark, in the order ``all`` runs them."""
TIMEOUT = 3600.0
"""Seconds one benchmark may take before it is stopped."""


@dataclass(frozen=True, slots=True)
class AllOptions:
    """Where, which benchmarks, and how long their loads last."""

    out: Path = Path("bench-results")
    only: tuple[str, ...] = BENCHMARKS
    seconds: int = 10
    locust_seconds: int = 60
    locust_users: int = 20
    locustfiles: Path = Path("tests/load")
    stamp: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))

    def __post_init__(self) -> None:
        unknown = [name for name in self.only if name not in BENCHMARKS]
        if unknown or not self.only:
            raise ValueError(f"benchmarks are {', '.join(BENCHMARKS)}; not {unknown or 'none'}")
        if min(self.seconds, self.locust_seconds, self.locust_users) < 1:
            raise ValueError("seconds, locust seconds and locust users must be >= 1")

    @property
    def folder(self) -> Path:
        """This run's folder, absolute."""
        return (self.out / self.stamp).resolve()


def bench_argv(name: str, options: AllOptions) -> list[str]:
    """The command line of benchmark ``name`` in ``options``' run."""
    seconds = str(options.seconds)
    args = {
        "client": [],
        "gateway": ["--duration", seconds],
        "reports": ["--duration", seconds],
        "assistant": ["--seconds", seconds],
        "review": ["--seconds", seconds],
        "community": [],
        "locust": [
            *("--out", str(options.folder), "--seconds", str(options.locust_seconds)),
            *("--users", str(options.locust_users)),
            *("--locustfiles", str(options.locustfiles.resolve())),
        ],
    }[name]
    return [sys.executable, "-m", "backbone.cli", "bench", name, *args]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one benchmark ended: exit code, seconds, the file with what it printed."""

    name: str
    code: int
    seconds: float
    output: Path


def _run_one(starter: Starter, name: str, options: AllOptions) -> Outcome:
    started = time.monotonic()
    child = starter.spawn(f"bench-{name}", bench_argv(name, options), COLUMNS="160")
    while child.poll() is None:
        if time.monotonic() - started > TIMEOUT:
            raise child.failure(f"did not finish in {TIMEOUT:g} s")
        time.sleep(0.2)
    code = child.poll()
    output = options.folder / f"bench-{name}.txt"
    if child.log_file is not None:
        child.log_file.replace(output)
    return Outcome(name, code if code is not None else -1, time.monotonic() - started, output)


def measure(options: AllOptions, guard: SignalGuard, say: Callable[[str], None]) -> list[Outcome]:
    """Run the benchmarks one by one into the run's folder; how each ended."""
    options.folder.mkdir(parents=True, exist_ok=False)
    outcomes = []
    with children(options.folder, guard) as starter:
        for name in options.only:
            say(f"backbone bench {name} -> {options.folder / f'bench-{name}.txt'}")
            outcomes.append(_run_one(starter, name, options))
            say(f"backbone bench {name}: exit {outcomes[-1].code}, {outcomes[-1].seconds:.0f} s")
    return outcomes


def _git_commit() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"],  # noqa: S607 - git from the PATH
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if done.returncode == 0:
            return done.stdout.strip()
    return "unknown"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def index(outcomes: list[Outcome], options: AllOptions) -> str:
    """``index.md``: the machine, each benchmark's outcome and files, then every output."""
    lines = [
        f"# Benchmarks, {options.stamp}",
        "",
        f"- machine: {platform.node()}, {_cpu_model()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; commit {_git_commit()}",
        f"- loads: {options.seconds} s each; Locust: {options.locust_users} users, "
        f"{options.locust_seconds} s",
        "",
        "| benchmark | exit | seconds | output |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {o.name} | {o.code} | {o.seconds:.0f} | [{o.output.name}]({o.output.name}) |"
        for o in outcomes
    ]
    reports = sorted(path.name for path in options.folder.glob("locust-*.html"))
    if reports:
        lines += ["", "Locust's reports: " + ", ".join(f"[{n}]({n})" for n in reports)]
    for outcome in outcomes:
        text = outcome.output.read_text(errors="replace") if outcome.output.exists() else ""
        lines += ["", f"## backbone bench {outcome.name}", "", "```text", text.rstrip(), "```"]
    return "\n".join(lines) + "\n"


def _latest(options: AllOptions) -> None:
    """Point ``OUT/latest`` at this run's folder (relative, so the tree can move)."""
    link = options.out.resolve() / "latest"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(options.stamp, target_is_directory=True)


def report(outcomes: list[Outcome], options: AllOptions, out: Console) -> int:
    """Write the index and the ``latest`` link, print the folder; 0 if every run ended 0."""
    (options.folder / "index.md").write_text(index(outcomes, options), encoding="utf-8")
    _latest(options)
    for outcome in outcomes:
        out.print(f"{outcome.name:<10} exit {outcome.code:>3}  {outcome.seconds:>6.0f} s")
    out.print(f"Results: {options.folder}")
    return 0 if all(outcome.code == 0 for outcome in outcomes) else 1


def bench_all(options: AllOptions, *, out: Console, err: Console) -> int:
    """Run the benchmarks, keep their results; the exit code (1 if any failed)."""
    codes: list[int] = []
    code = run_bench(
        "all",
        lambda guard: measure(options, guard, printer(err, "dim")),
        lambda outcomes: codes.append(report(outcomes, options, out)),
        err=err,
        errors=(RuntimeError, ValueError, OSError),
    )
    return code or (codes[0] if codes else 1)
