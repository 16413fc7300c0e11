"""``backbone bench assistant``: the assistant API under load, and its analyses per second.

One run, two measurements, on stores and processes of its own (see
:mod:`backbone.bench._assistant_stack`), with the offline engine ``local`` — a
deterministic tool runner, **not a language model**:

1. **Latency under load.** ``users`` users are registered, logged in and given a dataset
   each; after a warm-up batch that starts every worker process, they submit analyses
   and read them (:mod:`backbone.bench._assistant_load`) for ``seconds`` seconds after
   ``warmup`` seconds, while the ``workers`` processes of ``backbone worker assistant``
   are busy running what they submit: p50 / p99 / max and errors of ``POST /v1/tasks``
   and ``GET /v1/tasks/{task_id}``, and req/s. The backlog is then cancelled.
2. **Analyses per second, end to end.** ``tasks`` analyses submitted through the API
   until the API shows them all complete, against the same crew, plan and dataset kicked
   off bare with :func:`backbone.agents.run_crew` ``tasks`` times in one process, and the
   same with the result's data and chart (:mod:`backbone.bench._crew_baseline`). The
   ratio to the bare kickoff is what the API, the job table and the worker cost.
3. **Recommendations against the floor.** ``GET /v1/recommendations`` and ``GET
   /healthz`` (a constant on the same server) at ``users`` users, then flat out
   (:mod:`backbone.bench._assistant_recs`), once the worker is idle. The recommender
   learns from orders seeded into an Order Service of the run's own, behind a gateway
   (:mod:`backbone.bench._assistant_services`).

Goals are checked against this run's own numbers and reported, never enforced.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console

from backbone.assistant.migrations import VERSIONS
from backbone.assistant.tasks.models import TASKS
from backbone.bench._assistant_load import (
    GET_TASK,
    SUBMIT,
    Account,
    TaskCounts,
    make_accounts,
    submit_tasks,
    user_load,
)
from backbone.bench._assistant_recs import (
    RecsLoad,
    RecsRow,
    measure_recommendations,
    recs_goal_lines,
    render_recs,
)
from backbone.bench._assistant_report import (
    BARE,
    OURS,
    WHOLE,
    RateRow,
    goal_lines,
    render_rates,
    worker_processes,
)
from backbone.bench._assistant_services import Seeded, seed_recommender, start_services
from backbone.bench._assistant_stack import (
    ASSISTANT_BENCH_ERRORS,
    AssistantRig,
    client_address,
    forget_buckets,
    quiesce,
)
from backbone.bench._crew_baseline import KICKOFF
from backbone.bench._crew_baseline import WHOLE as WHOLE_LOOP
from backbone.bench._output import printer, run_bench
from backbone.bench._reports import EndpointRow, render_latency, summarize_endpoint
from backbone.bench._reports_load import UserLoad, wait_until
from backbone.bench._reports_stack import JobTable, Names, bench_stores
from backbone.bench._stack import StackError, bench_directory, children
from backbone.devstack import Child, SignalGuard

__all__ = ["AssistantOptions", "bench_assistant"]

STATUS_READS = 3
STALL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class AssistantOptions:
    """The run: the users' load, the batch of analyses, the worker processes."""

    users: int = 50
    seconds: int = 10
    warmup: int = 2
    think: float = 1.0
    tasks: int = 100
    workers: int = 2

    def __post_init__(self) -> None:
        if min(self.users, self.seconds, self.tasks, self.workers) < 1:
            raise ValueError("users, seconds, tasks and workers must be >= 1")
        if self.warmup < 0 or self.think < 0:
            raise ValueError("need warmup >= 0 and think >= 0")


@dataclass(frozen=True, slots=True)
class _Run:
    """What the measurements share: the rig, the API, the worker, the accounts."""

    rig: AssistantRig
    table: JobTable
    api_url: str
    worker: Child
    accounts: list[Account]
    counts: TaskCounts
    seeded: Seeded
    say: Callable[[str], None]

    @property
    def address(self) -> str:
        return client_address(self.rig.names)


def _batch(run: _Run, count: int, accounts: list[Account]) -> RateRow:
    """Submit ``count`` analyses through the API; time them until it shows them all final."""
    complete, failed = run.counts.complete(), run.counts.failed()

    def finished() -> int:
        return run.counts.complete() - complete + run.counts.failed() - failed

    started = time.perf_counter()
    accepted = submit_tasks(run.api_url, run.address, accounts, count)
    waited = wait_until(
        finished, len(accepted), check=run.worker.check_running, stall=STALL_SECONDS, interval=0.05
    )
    done = run.counts.complete() - complete
    # Refused, failed, or never finished.
    return RateRow(OURS, done, waited.at - started, count - done)


def measure_latency(run: _Run, options: AssistantOptions) -> tuple[list[EndpointRow], int]:
    """Part 1: every worker process started, then the users; the rows, and how many
    processes were busy when the load ended."""
    warm = _batch(run, 2 * options.workers, run.accounts[:1])
    if warm.errors:
        raise StackError(f"the warm-up lost {warm.errors} of {2 * options.workers} analyses")
    run.say(f"{options.users} users: {options.warmup} s warm-up, then {options.seconds} s measured")
    load = UserLoad(options.users, options.warmup, options.seconds, options.think, STATUS_READS)
    users = run.accounts[1:]
    samples = user_load(run.api_url, run.address, users, load)
    busy = run.table.running()
    run.say("cancelling the backlog of analyses")
    quiesce(run.rig, run.table, run.worker)
    rows = [summarize_endpoint(name, samples[name], options.seconds) for name in (SUBMIT, GET_TASK)]
    return rows, busy


def measure_rates(run: _Run, options: AssistantOptions) -> list[RateRow]:
    """Part 2: ``tasks`` analyses through ours, then bare in one process."""
    run.say(f"{options.tasks} analyses through the API and {worker_processes(options.workers)}")
    ours = _batch(run, options.tasks, run.accounts[1:])
    run.say(f"{ours.rate:,.1f} analyses/s; now the bare crew, {options.tasks} times each way")
    loops = run.rig.baseline(options.tasks)
    return [
        ours,
        *(
            RateRow(path, loops[name].tasks, loops[name].seconds, loops[name].errors)
            for path, name in ((BARE, KICKOFF), (WHOLE, WHOLE_LOOP))
        ),
    ]


def measure_recs(run: _Run, options: AssistantOptions) -> list[RecsRow]:
    """Part 3: recommendations and the floor, once nothing else runs."""
    run.say(f"recommendations and the floor: {options.users} users, then flat out")
    load = RecsLoad(options.users, options.think, options.warmup, options.seconds)
    return measure_recommendations(
        run.api_url, run.address, run.accounts[1:], run.seeded.user_ids, load
    )


@dataclass(frozen=True, slots=True)
class _Results:
    latency: list[EndpointRow]
    rates: list[RateRow]
    busy: int
    recs: list[RecsRow]


def _emails(names: Names, users: int) -> list[str]:
    return [f"bench-{names.token}-{n}@example.com" for n in range(users)]


def _run(options: AssistantOptions, guard: SignalGuard, say: Callable[[str], None]) -> _Results:
    names = Names.new()
    admin, emails = f"bench-{names.token}-admin@example.com", _emails(names, options.users)
    with (
        bench_directory() as tmp,
        bench_stores(tmp, guard, names, locations=[VERSIONS]) as stores,
        children(tmp, guard) as starter,
    ):
        say(f"stores: {stores.origin}; database {names.database} and queue {names.queue}")
        say("the User and Order Services and the gateway, for the recommender")
        rig = AssistantRig(starter, stores, names, options.workers, admin, start_services(starter))
        table = JobTable(stores.database_url, table=TASKS.name)
        keys = {client_address(names), admin, *emails}
        try:
            api_url = rig.api()
            worker = rig.worker()
            say(f"{options.users + 1} accounts, each with a dataset, from {client_address(names)}")
            address = client_address(names)
            accounts = make_accounts(api_url, address, [admin, *emails])
            keys.update(account.user_id for account in accounts)
            seeded = seed_recommender(rig.services, api_url, address, accounts[0], say)
            counts = TaskCounts(api_url, address, accounts[0])
            run = _Run(rig, table, api_url, worker, accounts, counts, seeded, say)
            try:
                latency, busy = measure_latency(run, options)
                rates = measure_rates(run, options)
                recs = measure_recs(run, options)
            finally:
                counts.close()
        finally:
            table.close()
            forget_buckets(stores.redis_url, keys)
    return _Results(latency, rates, busy, recs)


def _preamble(options: AssistantOptions) -> list[str]:
    return [
        "backbone bench assistant: the assistant API under load, and its analyses per second.",
        "The engine is `local`: a deterministic tool runner, NOT a language model. A model",
        "takes seconds per call; these numbers are what everything around the model costs.",
        f"Latency: {options.users} users (a pause of {options.think:g} s after each answer) "
        f"submit analyses and read them, {worker_processes(options.workers)} busy running them.",
        f"Throughput: {options.tasks:,} analyses through the API, then the same crew kicked off "
        "bare in one process. Rate limits raised and a cheaper password hash for the run.",
        f"Recommendations: {options.users} users, then flat out, against GET /healthz (a constant "
        "on the same server: the floor), the worker idle.",
    ]


def _print_results(results: _Results, options: AssistantOptions, out: Console) -> None:
    cpus = os.cpu_count() or 1
    title = (
        f"{options.users} users, {options.seconds} s measured, "
        f"{worker_processes(options.workers)} busy with analyses"
    )
    out.print(render_latency(results.latency, title=title))
    out.print(
        render_rates(
            results.rates,
            title=f"Analyses end to end on `local` (not a language model): {options.tasks:,} "
            f"each, ours on {worker_processes(options.workers)}, {cpus} cores",
        )
    )
    out.print(
        render_recs(
            results.recs,
            title=f"Recommendations vs the framework's floor, {options.seconds} s each, "
            f"{options.users} users pausing {options.think:g} s, then flat out",
        )
    )
    lines = goal_lines(
        results.latency,
        results.rates,
        users=options.users,
        busy=results.busy,
        workers=options.workers,
        cpus=cpus,
        extra=recs_goal_lines(results.recs, users=options.users),
    )
    for line in lines:
        out.print(line)


def bench_assistant(options: AssistantOptions, *, out: Console, err: Console) -> int:
    """Start everything, measure both parts, print the tables and the goals; the exit code."""
    for line in _preamble(options):
        out.print(line)
    return run_bench(
        "assistant",
        lambda guard: _run(options, guard, printer(err, "dim")),
        lambda results: _print_results(results, options, out),
        err=err,
        errors=ASSISTANT_BENCH_ERRORS,
    )
