"""``backbone bench gateway``: what the API gateway costs in front of the User Service.

One run, one load, one endpoint (``GET /users/123``), up to three targets:

- **direct**: the User Service itself, the baseline;
- **gateway**: the same service behind ``backbone serve gateway``;
- **nginx**: the same service behind nginx, when nginx is on PATH — the reference
  proxy, with upstream keepalive and ``worker_processes 1`` to match the gateway's one
  process.

The load is ``connections`` connections kept busy for ``duration`` seconds (wrk when on
PATH, else a built-in aiohttp generator, see :mod:`backbone.bench._load`). After a
warm-up, each round sends the load to every target in turn, so drift on the machine hits
them alike; the table shows each target's median round (by req/s), with errors summed
over all rounds. CPU per request is the user + system time the proxy's processes (and,
separately, the User Service's) spent during the round, divided by the requests
answered. Goals are checked against the direct baseline of the same run; they are
reported, never enforced.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from backbone.bench._load import (
    Generator,
    LoadResult,
    aiohttp_generator,
    parse_wrk,
    wrk_generator,
)
from backbone.bench._output import (
    lower_median,
    printer,
    ratio,
    results_table,
    run_bench,
    verdict,
)
from backbone.bench._stack import (
    DIRECT,
    GATEWAY,
    NGINX,
    Stack,
    Target,
    cpu_seconds,
    running_stack,
)
from backbone.devstack import SignalGuard

__all__ = [
    "GatewayOptions",
    "LoadResult",
    "RoundResult",
    "TargetRow",
    "bench_gateway",
    "choose_generator",
    "goal_lines",
    "parse_wrk",
    "render",
    "summarize",
]

PATH = "/users/123"
MIN_THROUGHPUT_RATIO = 0.5
MAX_PROXY_CPU_US = 500.0
MAX_P99_RATIO = 3.0


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    """The load: seconds per round, connections, rounds, warm-up seconds per target."""

    duration: int = 8
    connections: int = 64
    rounds: int = 3
    warmup: int = 2

    def __post_init__(self) -> None:
        if min(self.duration, self.connections, self.rounds) < 1 or self.warmup < 0:
            raise ValueError("duration, connections and rounds must be >= 1, warmup >= 0")


@dataclass(frozen=True, slots=True)
class RoundResult:
    """One round against one target: the load result and CPU µs per request."""

    load: LoadResult
    proxy_cpu_us: float | None
    service_cpu_us: float | None


@dataclass(frozen=True, slots=True)
class TargetRow:
    """One line of the table: a target's median round, errors of all rounds."""

    target: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    proxy_cpu_us: float | None
    service_cpu_us: float | None


def summarize(target: str, rounds: list[RoundResult]) -> TargetRow:
    """The median round by req/s (the lower middle one for an even count), errors summed."""
    median = lower_median(rounds, key=lambda r: r.load.rps, what=f"rounds for {target}")
    return TargetRow(
        target=target,
        rps=median.load.rps,
        p50_ms=median.load.p50_ms,
        p99_ms=median.load.p99_ms,
        errors=sum(r.load.errors for r in rounds),
        proxy_cpu_us=median.proxy_cpu_us,
        service_cpu_us=median.service_cpu_us,
    )


def _us(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def render(rows: list[TargetRow], *, title: str) -> Table:
    """The results table; ratios are against the ``direct`` row."""
    direct = next((row for row in rows if row.target == DIRECT), None)
    table = results_table(
        title=title,
        caption="CPU: user + system time of the process and its children, per request "
        "answered in the round; errors: all rounds",
        label="target",
        columns=(
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "proxy CPU µs/req",
            "service CPU µs/req",
            "req/s vs direct",
            "p99 vs direct",
        ),
    )
    for row in rows:
        table.add_row(
            row.target,
            f"{row.rps:,.0f}",
            f"{row.p50_ms:.2f}",
            f"{row.p99_ms:.2f}",
            str(row.errors),
            _us(row.proxy_cpu_us),
            _us(row.service_cpu_us),
            ratio(row.rps, direct.rps if direct else None),
            ratio(row.p99_ms, direct.p99_ms if direct else None),
        )
    return table


def _goals(direct: TargetRow, gateway: TargetRow) -> list[str]:
    share = gateway.rps / direct.rps if direct.rps else 0.0
    p99 = gateway.p99_ms / direct.p99_ms if direct.p99_ms else float("inf")
    cpu = gateway.proxy_cpu_us
    return [
        f"  {verdict(share >= MIN_THROUGHPUT_RATIO)}  throughput >= "
        f"{MIN_THROUGHPUT_RATIO:.0%} of direct: {share:.0%} "
        f"({gateway.rps:,.0f} vs {direct.rps:,.0f} req/s)",
        f"  {verdict(cpu is not None and cpu <= MAX_PROXY_CPU_US)}  gateway CPU <= "
        f"{MAX_PROXY_CPU_US:.0f} µs per proxied request: {_us(cpu)} µs",
        f"  {verdict(p99 <= MAX_P99_RATIO)}  p99 <= {MAX_P99_RATIO:g}x direct p99: "
        f"{p99:.2f}x ({gateway.p99_ms:.2f} vs {direct.p99_ms:.2f} ms)",
    ]


def goal_lines(rows: list[TargetRow]) -> list[str]:
    """Whether the gateway meets its goals against the direct baseline of the same rows."""
    by_name = {row.target: row for row in rows}
    direct, gateway = by_name.get(DIRECT), by_name.get(GATEWAY)
    if direct is None or gateway is None:
        return ["Goals: not checked (the run has no direct and gateway rows)."]
    lines = [
        "Goals for the gateway, measured in this run against direct:",
        *_goals(direct, gateway),
    ]
    nginx = by_name.get(NGINX)
    if nginx is not None and nginx.rps > 0:
        cpu = ""
        if gateway.proxy_cpu_us is not None and nginx.proxy_cpu_us:
            cpu = f" and {gateway.proxy_cpu_us / nginx.proxy_cpu_us:.1f}x its CPU per request"
        lines.append(
            f"Against nginx (reference, 1 worker): the gateway reaches "
            f"{gateway.rps / nginx.rps:.0%} of its req/s{cpu}."
        )
    lines.extend(
        f"Warning: {row.errors} errors against {row.target}: not a clean comparison."
        for row in rows
        if row.errors
    )
    return lines


def choose_generator(which: Callable[[str], str | None] = shutil.which) -> tuple[Generator, str]:
    """wrk when on PATH, else the built-in generator; and how to name it in the output."""
    wrk = which("wrk")
    if wrk is not None:
        return wrk_generator(wrk), f"wrk -t1 ({wrk})"
    return aiohttp_generator, "built-in asyncio + aiohttp (wrk not on PATH)"


def _per_request_us(seconds: float, requests: int) -> float | None:
    return seconds / requests * 1e6 if requests > 0 else None


def _one_round(
    stack: Stack, target: Target, generate: Generator, options: GatewayOptions
) -> RoundResult:
    pids = [target.proxy_pid, stack.service_pid]
    before = [cpu_seconds(pid) if pid else 0.0 for pid in pids]
    load = generate(target.url + PATH, options.connections, options.duration)
    spent = [
        cpu_seconds(pid) - start if pid else 0.0 for pid, start in zip(pids, before, strict=True)
    ]
    proxy_us = _per_request_us(spent[0], load.requests) if target.proxy_pid else None
    return RoundResult(load, proxy_us, _per_request_us(spent[1], load.requests))


def measure(
    stack: Stack, generate: Generator, options: GatewayOptions, progress: Callable[[str], None]
) -> list[TargetRow]:
    """Warm every target up, then run the rounds, targets taking turns; one row per target."""
    if options.warmup:
        for target in stack.targets:
            progress(f"warm-up {target.name}: {options.warmup} s")
            generate(target.url + PATH, options.connections, options.warmup)
    samples: dict[str, list[RoundResult]] = {target.name: [] for target in stack.targets}
    for number in range(1, options.rounds + 1):
        for target in stack.targets:
            result = _one_round(stack, target, generate, options)
            samples[target.name].append(result)
            progress(
                f"round {number}/{options.rounds} {target.name}: {result.load.rps:,.0f} req/s, "
                f"p99 {result.load.p99_ms:.2f} ms, {result.load.errors} errors"
            )
    return [summarize(name, results) for name, results in samples.items()]


def _preamble(generator: str, nginx: str | None, options: GatewayOptions) -> list[str]:
    reference = (
        f"nginx ({nginx}) runs with worker_processes 1, to match the gateway's one process, "
        f"and upstream keepalive {options.connections}."
        if nginx
        else "nginx is not on PATH: no reference proxy in this run."
    )
    return [f"Load generator: {generator}, {options.connections} connections.", reference]


def _print_results(rows: list[TargetRow], options: GatewayOptions, out: Console) -> None:
    title = (
        f"Gateway throughput: GET {PATH}, {options.connections} connections, "
        f"median of {options.rounds} x {options.duration} s rounds, {os.cpu_count()} CPUs"
    )
    out.print(render(rows, title=title))
    for line in goal_lines(rows):
        out.print(line)


def bench_gateway(
    options: GatewayOptions,
    *,
    out: Console,
    err: Console,
    which: Callable[[str], str | None] = shutil.which,
) -> int:
    """Start the stack, measure, print the table and the goals; the exit code."""
    generate, generator = choose_generator(which)
    nginx = which("nginx")
    for line in _preamble(generator, nginx, options):
        out.print(line)

    def measure_stack(guard: SignalGuard) -> list[TargetRow]:
        warn = printer(err, "yellow")
        with running_stack(
            nginx=nginx, keepalive=options.connections, guard=guard, warn=warn
        ) as stack:
            return measure(stack, generate, options, printer(err, "dim"))

    # RuntimeError: a child that failed (ChildError), wrk failing; ValueError: wrk unreadable.
    return run_bench(
        "gateway",
        measure_stack,
        lambda rows: _print_results(rows, options, out),
        err=err,
        errors=(RuntimeError, ValueError),
    )
