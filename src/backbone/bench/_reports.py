"""``backbone bench reports``: the report processor under load, and its job throughput.

One run, two measurements, on stores and processes of its own (see
:mod:`backbone.bench._reports_stack`):

1. **Latency under load.** One API process (``backbone serve reports``) and a worker
   whose every process is busy with a long job (``long_job_seconds``; the jobs the
   users submit are long too, so the processes stay busy). ``users`` users then submit
   jobs and read their status (:mod:`backbone.bench._reports_load`) for
   ``duration`` seconds after a warm-up: p50 / p99 / max and errors of
   ``POST /generate-report`` and of ``GET /reports/{job_id}/status``, and req/s.
2. **Throughput of zero-duration jobs**, end to end: ``jobs`` jobs submitted through
   the API (over ``users`` connections) until the job table shows them all finished,
   against two peers: the same jobs through the naive build a user would make from the
   seed (:mod:`backbone.bench._naive`: FastAPI, ``.delay()``, a Redis result backend,
   no job table) until the backend holds every result, and the same number of no-op
   tasks sent with ``.delay()`` to bare Celery until a counter in Redis shows them all
   run (:mod:`backbone.bench._celery`). Every worker has ``concurrency`` processes and
   the same flags; the three take turns for ``rounds`` rounds after a warm-up batch
   each, and the table shows each one's median round (by jobs/s), with errors summed
   over all rounds.

Goals are checked against this run's own numbers and reported, never enforced.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from redis.exceptions import RedisError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from backbone.bench._load import percentile
from backbone.bench._output import (
    lower_median,
    printer,
    ratio,
    results_table,
    run_bench,
    verdict,
)
from backbone.bench._reports_load import (
    STATUS,
    SUBMIT,
    Batch,
    Samples,
    UserLoad,
    job_paths,
    submit_jobs,
    user_load,
    wait_until,
)
from backbone.bench._reports_stack import JobTable, Names, Rig, bench_stores
from backbone.bench._stack import StackError, bench_directory, children
from backbone.devstack import SignalGuard

__all__ = [
    "BARE",
    "NAIVE",
    "OURS",
    "Batch",
    "EndpointRow",
    "ReportsOptions",
    "ThroughputRow",
    "bench_reports",
    "goal_lines",
    "render_latency",
    "render_throughput",
    "summarize_batches",
    "summarize_endpoint",
]

OURS = "our API + job table"
NAIVE = "naive FastAPI + Celery results"
BARE = "bare Celery .delay()"
MAX_P99_MS = 50.0
MIN_BARE_RATIO = 0.40
MIN_NAIVE_RATIO = 1.0
WARMUP_JOBS = 20
STATUS_READS = 3


@dataclass(frozen=True, slots=True)
class ReportsOptions:
    """The run: the users' load, the long jobs, the throughput batches, the workers."""

    users: int = 50
    duration: int = 10
    warmup: int = 2
    think: float = 1.0
    long_job_seconds: float = 15.0
    jobs: int = 1000
    rounds: int = 3
    concurrency: int = 2

    def __post_init__(self) -> None:
        if min(self.users, self.duration, self.jobs, self.rounds, self.concurrency) < 1:
            raise ValueError("users, duration, jobs, rounds and concurrency must be >= 1")
        if self.warmup < 0 or self.think < 0 or not 0 < self.long_job_seconds <= 3600:
            raise ValueError("need warmup >= 0, think >= 0 and 0 < long_job_seconds <= 3600")


@dataclass(frozen=True, slots=True)
class EndpointRow:
    """One endpoint under load: answers, their rate, latency percentiles, errors."""

    endpoint: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int


def summarize_endpoint(endpoint: str, samples: Samples, seconds: float) -> EndpointRow:
    """The row of an endpoint's samples taken over ``seconds``."""
    latencies = samples.latencies_ms
    return EndpointRow(
        endpoint=endpoint,
        requests=len(latencies),
        rps=len(latencies) / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies, default=0.0),
        errors=samples.errors,
    )


@dataclass(frozen=True, slots=True)
class ThroughputRow:
    """One path's median batch by jobs/s, errors of all batches."""

    path: str
    jobs: int
    rate: float
    submit_rate: float
    errors: int


def summarize_batches(path: str, batches: list[Batch]) -> ThroughputRow:
    """The median batch by jobs/s (the lower middle one for an even count), errors summed."""
    median = lower_median(batches, key=lambda b: b.rate, what=f"batches for {path}")
    errors = sum(b.errors for b in batches)
    return ThroughputRow(path, median.done, median.rate, median.submit_rate, errors)


def render_latency(rows: list[EndpointRow], *, title: str) -> Table:
    """The latency table: one line per endpoint."""
    table = results_table(
        title=title,
        caption="errors: any other status than 202 / 200, or no answer",
        label="endpoint",
        columns=("requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors"),
    )
    for row in rows:
        table.add_row(
            row.endpoint,
            f"{row.requests:,}",
            f"{row.rps:,.0f}",
            f"{row.p50_ms:.2f}",
            f"{row.p99_ms:.2f}",
            f"{row.max_ms:.2f}",
            str(row.errors),
        )
    return table


def render_throughput(rows: list[ThroughputRow], *, title: str) -> Table:
    """The throughput table; the ratios are against the naive and the bare Celery rows."""
    by_path = {row.path: row for row in rows}
    naive, bare = by_path.get(NAIVE), by_path.get(BARE)
    table = results_table(
        title=title,
        caption="jobs/s: first submission to last job finished; submit/s: while submitting; "
        "jobs: finished in the median round; errors: all rounds",
        label="path",
        columns=("jobs", "jobs/s", "submit/s", "errors", "vs naive", "vs bare Celery"),
    )
    for row in rows:
        table.add_row(
            row.path,
            f"{row.jobs:,}",
            f"{row.rate:,.0f}",
            f"{row.submit_rate:,.0f}",
            str(row.errors),
            ratio(row.rate, naive.rate if naive else None),
            ratio(row.rate, bare.rate if bare else None),
        )
    return table


def _latency_goals(rows: list[EndpointRow], users: int) -> list[str]:
    lines = [
        f"  {verdict(row.requests > 0 and row.p99_ms <= MAX_P99_MS)}  {row.endpoint} p99 <= "
        f"{MAX_P99_MS:g} ms at {users} users: {row.p99_ms:.2f} ms"
        for row in rows
    ]
    errors = sum(row.errors for row in rows)
    lines.append(f"  {verdict(errors == 0)}  no errors under load: {errors}")
    return lines


def _throughput_goal(rows: list[ThroughputRow]) -> list[str]:
    by_path = {row.path: row for row in rows}
    ours = by_path.get(OURS)
    if ours is None:
        return ["  throughput: not checked (the run has no row for ours)"]
    lines = []
    for path, least in ((NAIVE, MIN_NAIVE_RATIO), (BARE, MIN_BARE_RATIO)):
        peer = by_path.get(path)
        if peer is None:
            lines.append(f"  throughput vs {path}: not checked (no row)")
            continue
        share = ours.rate / peer.rate if peer.rate else 0.0
        lines.append(
            f"  {verdict(share >= least)}  zero-duration jobs/s >= {least:.2f}x {path}: "
            f"{share:.2f}x ({ours.rate:,.0f} vs {peer.rate:,.0f} jobs/s)"
        )
    return lines


def goal_lines(
    latency: list[EndpointRow],
    throughput: list[ThroughputRow],
    *,
    users: int,
    busy: int,
    concurrency: int,
) -> list[str]:
    """The goals against this run's numbers, and warnings that make them doubtful.

    ``busy`` of the worker's ``concurrency`` processes were running a long job when the
    load ended.
    """
    lines = [
        "Goals, measured in this run (reported, not enforced):",
        *_latency_goals(latency, users),
        *_throughput_goal(throughput),
        f"Worker processes running a long job at the end of the load: {busy} of {concurrency}.",
    ]
    if busy < concurrency:
        lines.append("Warning: not every worker process was busy: the latency is not under load.")
    lines.extend(
        f"Warning: {row.errors} errors in the throughput of {row.path}: not a clean comparison."
        for row in throughput
        if row.errors
    )
    return lines


# ---------------------------------------------------------------------------- measuring


def measure_latency(
    rig: Rig, table: JobTable, api_url: str, options: ReportsOptions, say: Callable[[str], None]
) -> tuple[list[EndpointRow], int]:
    """Part 1: occupy every worker process with a long job, then the users; rows and busy."""
    worker = rig.worker("long", options.long_job_seconds)
    say(
        f"occupying {options.concurrency} worker processes with {options.long_job_seconds:g} s jobs"
    )
    submit_jobs(api_url, options.concurrency, connections=options.concurrency)
    started = wait_until(table.running, options.concurrency, check=worker.check_running)
    if started.value < options.concurrency:
        raise StackError(f"only {started.value} of {options.concurrency} long jobs started")
    say(f"{options.users} users: {options.warmup} s warm-up, then {options.duration} s measured")
    load = UserLoad(options.users, options.warmup, options.duration, options.think, STATUS_READS)
    samples = user_load(api_url, load)
    busy = table.running()
    say("stopping the long-job worker (its jobs cancelled)")
    rig.retire(worker, table)
    rows = [summarize_endpoint(name, samples[name], options.duration) for name in (SUBMIT, STATUS)]
    return rows, busy


def measure_throughput(
    rig: Rig, table: JobTable, api_url: str, options: ReportsOptions, say: Callable[[str], None]
) -> list[ThroughputRow]:
    """Part 2: batches of zero-duration jobs, ours, the naive peer and bare Celery in turns."""
    with job_paths(rig, table, api_url, connections=options.users) as paths:
        runs = ((OURS, paths.ours), (NAIVE, paths.naive), (BARE, paths.bare))
        warmup = min(WARMUP_JOBS, options.jobs)
        say(f"warm-up: {warmup} jobs each through ours, naive and bare Celery (workers starting)")
        for _, run in runs:
            batch = run(warmup)
            if batch.errors:
                raise StackError(f"the warm-up lost {batch.errors} of {warmup} jobs")
        batches: dict[str, list[Batch]] = {path: [] for path, _ in runs}
        for number in range(1, options.rounds + 1):
            for path, run in runs:
                batch = run(options.jobs)
                batches[path].append(batch)
                say(
                    f"round {number}/{options.rounds} {path}: {batch.rate:,.0f} jobs/s, "
                    f"{batch.errors} errors"
                )
    return [summarize_batches(path, results) for path, results in batches.items()]


# ---------------------------------------------------------------------------- the command


@dataclass(frozen=True, slots=True)
class _Results:
    latency: list[EndpointRow]
    throughput: list[ThroughputRow]
    busy: int


def _run(options: ReportsOptions, guard: SignalGuard, say: Callable[[str], None]) -> _Results:
    names = Names.new()
    with (
        bench_directory() as tmp,
        bench_stores(tmp, guard, names) as stores,
        children(tmp, guard) as starter,
    ):
        say(f"stores: {stores.origin}; database {names.database} and queues bench-{names.token}*")
        rig = Rig(starter, stores, names, options.concurrency)
        table = JobTable(stores.database_url)
        try:
            api_url = rig.api()
            latency, busy = measure_latency(rig, table, api_url, options, say)
            throughput = measure_throughput(rig, table, api_url, options, say)
        finally:
            table.close()
    return _Results(latency, throughput, busy)


def _preamble(options: ReportsOptions) -> list[str]:
    pause = f"a {options.think:g} s pause after each answer" if options.think else "no pause"
    return [
        f"Load: built-in asyncio + aiohttp, {options.users} users, each submitting a job and "
        f"reading its status {STATUS_READS} times, over and over ({pause}).",
        "Naive peer: FastAPI calling .delay(), Celery with a Redis result backend, the same "
        "report file written, no job table; its results are polled every 10 ms.",
        f"Baseline: bare Celery on the same Redis, with backbone worker's flags (prefork, "
        f"concurrency {options.concurrency}, prefetch 1, -O fair, acks late, no results); "
        "its no-op task INCRs a Redis counter, polled every 10 ms as our job table is.",
    ]


def _print_results(results: _Results, options: ReportsOptions, out: Console) -> None:
    cpus = os.cpu_count()
    out.print(
        render_latency(
            results.latency,
            title=f"Report API under load: {options.users} users, {options.duration} s after "
            f"{options.warmup} s warm-up, {options.concurrency} worker processes busy with "
            f"{options.long_job_seconds:g} s jobs, {cpus} CPUs",
        )
    )
    out.print(
        render_throughput(
            results.throughput,
            title=f"Zero-duration jobs end to end: {options.jobs:,} per round, median of "
            f"{options.rounds} rounds, worker concurrency {options.concurrency}, {cpus} CPUs",
        )
    )
    lines = goal_lines(
        results.latency,
        results.throughput,
        users=options.users,
        busy=results.busy,
        concurrency=options.concurrency,
    )
    for line in lines:
        out.print(line)


def bench_reports(options: ReportsOptions, *, out: Console, err: Console) -> int:
    """Start everything, measure both parts, print the tables and the goals; the exit code."""
    for line in _preamble(options):
        out.print(line)
    return run_bench(
        "reports",
        lambda guard: _run(options, guard, printer(err, "dim")),
        lambda results: _print_results(results, options, out),
        err=err,
        errors=(RuntimeError, ValueError, OSError, SQLAlchemyError, RedisError),
    )
