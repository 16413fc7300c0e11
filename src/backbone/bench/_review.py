"""``backbone bench review``: the webhook's acknowledgement under load, and reviews per minute.

One run, two measurements, on stores and processes of its own (see
:mod:`backbone.bench._review_stack`), with the offline engine ``local`` — a deterministic
tool runner, **not a language model**:

1. **Acknowledgement under load.** ``users`` clients send signed ``pull_request``
   deliveries to ``POST /webhooks/github``, one after another, for ``seconds`` seconds
   after ``warmup`` seconds (:mod:`backbone.bench._review_load`): p50 / p95 / p99 / max,
   req/s and errors; then ``GET /healthz`` of the same server under the same load, the
   floor the ratios are against. No worker runs meanwhile, so that afterwards the ledger
   (:mod:`backbone.bench._review_ledger`) can find every delivery answered 202 in the
   review table and on the queue: lost must be 0. The backlog is then cancelled.
2. **Reviews per minute of a 20-file pull request.** ``pulls`` pull requests, each with
   20 changed Python files carrying ruff findings (:mod:`backbone.bench._review_pulls`),
   are delivered signed, one ``opened`` delivery each, to the API while ``workers``
   processes of ``backbone worker review`` review them on the fake GitHub (after a
   warm-up batch that starts every process): timed from the first delivery until the
   table shows the last review complete with its comment posted. Against the same work
   bare in one process: :func:`backbone.review.reviewer.build_review` on a snapshot read
   once (:mod:`backbone.bench._review_baseline`), ``pulls`` times.

Goals are checked against this run's own numbers and reported, never enforced.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx
from rich.console import Console

from backbone.bench._assistant_report import worker_processes
from backbone.bench._output import printer, run_bench
from backbone.bench._reports_load import wait_until
from backbone.bench._reports_stack import JobTable, Names, bench_stores
from backbone.bench._review_ledger import Ledger, commented, read_ledger
from backbone.bench._review_load import (
    DELIVERIES,
    FIRST_NUMBER,
    FLOOR,
    DeliveryLoad,
    DeliveryTemplate,
    Window,
    delivery_headers,
    delivery_load,
    floor_load,
)
from backbone.bench._review_pulls import FILES, FakeGitHub
from backbone.bench._review_report import (
    BARE,
    BURSTS_CAPTION,
    LOOP_CAPTION,
    AckRow,
    RateRow,
    goal_lines,
    ours_label,
    render_acks,
    render_ledger,
    render_rates,
    summarize,
)
from backbone.bench._review_stack import REVIEW_BENCH_ERRORS, ReviewRig
from backbone.bench._stack import StackError, bench_directory, children, cpu_seconds
from backbone.devstack import Child, SignalGuard
from backbone.review.migrations import VERSIONS
from backbone.review.models import REVIEW_JOBS

__all__ = ["ReviewOptions", "bench_review"]

T = TypeVar("T")

TEMPLATE_PULL = 1
BURST_NUMBERS = 10_000_000
"""The closed loop's pull requests are numbered after the bursts' (whose numbers it
cannot reach): every delivery of the run is a new review."""
"""The pull request whose delivery body the load sends (renumbered), and the baseline's."""
STALL_SECONDS = 120.0
"""A batch with no review finishing for this long has stalled (a worker's first review
waits for CrewAI's start-up)."""


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    """The run: the deliveries' load, the pull requests reviewed, the worker processes."""

    users: int = 50
    seconds: int = 10
    warmup: int = 2
    pulls: int = 100
    workers: int = 2

    def __post_init__(self) -> None:
        if min(self.users, self.seconds, self.pulls, self.workers) < 1:
            raise ValueError("users, seconds, pulls and workers must be >= 1")
        if self.warmup < 0:
            raise ValueError("need warmup >= 0")


@dataclass(frozen=True, slots=True)
class _Run:
    """What the measurements share."""

    rig: ReviewRig
    table: JobTable
    fake: FakeGitHub
    api_url: str
    api: Child
    say: Callable[[str], None]


def _cpu_of(api: Child, load: Callable[[], T]) -> tuple[T, float]:
    """Run ``load``: what it returned, and the API process's CPU seconds meanwhile."""
    before = cpu_seconds(api.pid)
    result = load()
    return result, cpu_seconds(api.pid) - before


def _per_request_ms(cpu_seconds: float, requests: int) -> float:
    return 1000 * cpu_seconds / max(requests, 1)


def _acks_of(
    run: _Run, options: ReviewOptions, *, bursts: bool, first: int
) -> tuple[list[AckRow], DeliveryLoad]:
    """One shape of load (bursts or a closed loop): the deliveries' row, then the floor's."""
    template = DeliveryTemplate(run.fake.webhook_body(TEMPLATE_PULL))
    window = Window(options.users, options.warmup, options.seconds, bursts=bursts)
    shape = f"bursts of {options.users} at once" if bursts else f"a closed loop of {options.users}"
    run.say(f"{shape}: {options.warmup} s warm-up, then {options.seconds} s of signed deliveries")
    secret, token = run.rig.secret.encode(), run.rig.names.token
    load, load_cpu = _cpu_of(
        run.api,
        lambda: delivery_load(
            run.api_url, secret=secret, template=template, token=token, window=window, first=first
        ),
    )
    (floor, floor_sent), floor_cpu = _cpu_of(run.api, lambda: floor_load(run.api_url, window))
    suffix = f", {options.users} at once" if bursts else ", closed loop"
    rows = [
        summarize(
            DELIVERIES + suffix,
            load.samples,
            options.seconds,
            cpu_ms=_per_request_ms(load_cpu, load.sent),
        ),
        summarize(
            f"{FLOOR}{suffix} (the floor)",
            floor,
            options.seconds,
            cpu_ms=_per_request_ms(floor_cpu, floor_sent),
        ),
    ]
    return rows, load


def measure_acks(run: _Run, options: ReviewOptions) -> tuple[list[AckRow], Ledger]:
    """Part 1: deliveries in bursts, then in a closed loop, each beside its floor; the
    ledger of every delivery acknowledged; the backlog cancelled after."""
    bursts, burst_load = _acks_of(run, options, bursts=True, first=FIRST_NUMBER)
    loop, loop_load = _acks_of(run, options, bursts=False, first=FIRST_NUMBER + BURST_NUMBERS)
    stores, queue = run.rig.stores, run.rig.names.queue
    ledger = read_ledger(
        [*burst_load.acked, *loop_load.acked],
        database_url=stores.database_url,
        redis_url=stores.redis_url,
        queue=queue,
    )
    run.say(f"{ledger.acknowledged:,} deliveries acknowledged, {ledger.lost} lost")
    run.table.cancel_open()
    run.rig.purge()
    return [*bursts, *loop], ledger


def _deliver(run: _Run, client: httpx.Client, number: int) -> None:
    body = json.dumps(run.fake.webhook_body(number)).encode()
    delivery = f"bench-{run.rig.names.token}-{number}"
    headers = delivery_headers(run.rig.secret.encode(), body, delivery, "pull_request")
    answer = client.post("/webhooks/github", content=body, headers=headers)
    if answer.status_code != 202 or answer.json().get("outcome") != "queued":
        raise StackError(f"delivery of pull request {number}: {answer.status_code} {answer.text}")


def _batch(run: _Run, worker: Child, numbers: range, label: str) -> RateRow:
    """Deliver ``numbers``' pull requests; time them until the table shows them all final."""
    mark = run.table.mark()
    started = time.perf_counter()
    with httpx.Client(base_url=run.api_url, timeout=10.0) as client:
        for number in numbers:
            _deliver(run, client, number)
    waited = wait_until(
        lambda: run.table.finished(after=mark),
        len(numbers),
        check=worker.check_running,
        stall=STALL_SECONDS,
        interval=0.05,
    )
    done = commented(run.rig.stores.database_url, after=mark)
    # Failed, never finished, or complete without its comment.
    errors = len(numbers) - done.reviews
    return RateRow(label, done.reviews, waited.at - started, errors, done.findings)


def measure_rates(run: _Run, options: ReviewOptions) -> list[RateRow]:
    """Part 2: the warm-up batch, ``pulls`` reviews through ours, then bare."""
    warm = 2 * options.workers
    first = TEMPLATE_PULL + 1
    numbers = range(first, first + warm + options.pulls)
    run.say(f"{len(numbers)} pull requests of {FILES} files on the fake GitHub")
    for number in numbers:
        run.fake.create_pull(number)
    worker = run.rig.worker()
    run.say(f"warm-up: {warm} reviews while the worker's processes start")
    warmed = _batch(run, worker, numbers[:warm], "warm-up")
    if warmed.errors:
        raise StackError(f"the warm-up lost {warmed.errors} of {warm} reviews")
    run.say(f"{options.pulls} reviews through the webhook and {worker_processes(options.workers)}")
    ours = _batch(run, worker, numbers[warm:], ours_label(options.workers))
    run.say(f"{ours.per_minute:,.1f} reviews/min; now the bare build, {options.pulls} times")
    bare = run.rig.baseline(options.pulls, TEMPLATE_PULL)
    return [ours, RateRow(BARE, bare.reviews, bare.seconds, bare.errors, bare.findings)]


@dataclass(frozen=True, slots=True)
class _Results:
    acks: list[AckRow]
    ledger: Ledger
    rates: list[RateRow]


def _run(options: ReviewOptions, guard: SignalGuard, say: Callable[[str], None]) -> _Results:
    names = Names.new()
    with (
        bench_directory() as tmp,
        bench_stores(tmp, guard, names, locations=[VERSIONS]) as stores,
        children(tmp, guard) as starter,
    ):
        say(f"stores: {stores.origin}; database {names.database} and queue {names.queue}")
        rig = ReviewRig(starter, stores, names, options.workers)
        fake = FakeGitHub.at(rig.github(), rig.repo)
        table = JobTable(stores.database_url, table=REVIEW_JOBS.name)
        try:
            fake.create_pull(TEMPLATE_PULL)
            run = _Run(rig, table, fake, *rig.api(), say)
            acks, ledger = measure_acks(run, options)
            rates = measure_rates(run, options)
        finally:
            table.close()
            fake.close()
    return _Results(acks, ledger, rates)


def _preamble(options: ReviewOptions) -> list[str]:
    return [
        "backbone bench review: the webhook's acknowledgement under load, and reviews per minute.",
        "The engine is `local`: a deterministic tool runner, NOT a language model. A model",
        "takes seconds per review; these numbers are what everything around the model costs.",
        f"Acknowledgement: signed pull_request deliveries (each a new review), {options.users} "
        "sent at once then a pause (as GitHub delivers a batch of events), then "
        f"{options.users} clients without a pause (the capacity), each against GET /healthz "
        "of the same server under the same load (the floor); no worker runs, so that every "
        "delivery answered 202 can be found recorded and queued.",
        f"Reviews: {options.pulls} pull requests of {FILES} changed Python files with ruff "
        "findings, delivered to the API and reviewed on a fake GitHub by "
        f"{worker_processes(options.workers)}, then the same review built bare in one process.",
    ]


def _print_results(results: _Results, options: ReviewOptions, out: Console) -> None:
    cpus = os.cpu_count() or 1
    bursts, loop = results.acks[:2], results.acks[2:]
    out.print(
        render_acks(
            bursts,
            floor=bursts[-1],
            title=f"Webhook acknowledgement, {options.users} deliveries at once, "
            f"{options.seconds} s of bursts (goal: p99 <= 50 ms, 0 lost)",
            caption=BURSTS_CAPTION,
        )
    )
    out.print(
        render_acks(
            loop,
            floor=loop[-1],
            title=f"Webhook capacity, {options.users} clients without a pause, "
            f"{options.seconds} s measured",
            caption=LOOP_CAPTION,
        )
    )
    out.print(render_ledger(results.ledger, title="Deliveries acknowledged, after the load"))
    out.print(
        render_rates(
            results.rates,
            title=f"Reviews of a {FILES}-file pull request on `local` (not a language model), "
            f"{cpus} cores",
        )
    )
    lines = goal_lines(
        results.acks,
        results.ledger,
        results.rates,
        users=options.users,
        workers=options.workers,
        cpus=cpus,
    )
    for line in lines:
        out.print(line)


def bench_review(options: ReviewOptions, *, out: Console, err: Console) -> int:
    """Start everything, measure both parts, print the tables and the goals; the exit code."""
    for line in _preamble(options):
        out.print(line)
    return run_bench(
        "review",
        lambda guard: _run(options, guard, printer(err, "dim")),
        lambda results: _print_results(results, options, out),
        err=err,
        errors=REVIEW_BENCH_ERRORS,
    )
