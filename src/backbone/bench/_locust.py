"""``backbone bench locust``: the Locust scenarios against a stack of the run's own.

Locust's reports are what a person opens: an HTML page with the charts, CSV files with
every request name's percentiles. This command starts what the scenarios need, runs
each with Locust headless in a process of its own, and writes the reports into one
folder (``--out``):

1. **assistant** (``tests/load/locustfile_assistant.py``): the stores, migrated
   (:func:`backbone.bench._reports_stack.bench_stores`), the User and Order Services
   and the gateway with orders seeded for the recommender
   (:mod:`backbone.bench._assistant_services`), the assistant's API and worker with
   limits raised (:class:`backbone.bench._assistant_stack.AssistantRig`), the worker
   warmed up; then ``users`` Locust users for ``seconds`` seconds, from the run's own
   loopback address. What they leave queued is cancelled afterwards.
2. **gateway** (``tests/load/locustfile_gateway.py``, unless ``gateway_seconds`` is
   0): the same gateway, for ``gateway_seconds`` seconds.

Each writes ``locust-NAME.html``, ``locust-NAME_stats.csv`` (and Locust's other CSV
files) and ``locust-NAME.txt`` (Locust's own summary). The table printed at the end is
read from the CSV. Locust is a development requirement (``requirements-dev.txt``); it is
run as ``python -m locust``, never imported here (it patches the standard library).
"""

from __future__ import annotations

import csv
import importlib.util
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from backbone.assistant.migrations import VERSIONS
from backbone.assistant.tasks.models import TASKS
from backbone.bench._assistant_load import Account, make_accounts, submit_tasks
from backbone.bench._assistant_services import seed_recommender, start_services
from backbone.bench._assistant_stack import (
    ASSISTANT_BENCH_ERRORS,
    AssistantRig,
    client_address,
    forget_buckets,
    quiesce,
)
from backbone.bench._output import printer, results_table, run_bench
from backbone.bench._reports_load import wait_until
from backbone.bench._reports_stack import JobTable, Names, bench_stores
from backbone.bench._stack import StackError, Starter, bench_directory, children
from backbone.devstack import Child, SignalGuard

__all__ = ["LocustOptions", "LocustRow", "bench_locust", "locust_rows", "render_locust"]

ASSISTANT = "assistant"
GATEWAY = "gateway"
EXIT_GRACE = 120.0
"""Seconds a Locust run may take past its duration (spawning, stopping, writing reports)."""
EMAILS = "locust-{token}"


@dataclass(frozen=True, slots=True)
class LocustOptions:
    """Where the reports go, the Locust users, how long, the worker's processes."""

    out: Path
    users: int = 20
    spawn_rate: float = 5.0
    seconds: int = 60
    gateway_seconds: int = 15
    gateway_users: int = 16
    workers: int = 2
    locustfiles: Path = Path("tests/load")

    def __post_init__(self) -> None:
        if min(self.users, self.seconds, self.gateway_users, self.workers) < 1:
            raise ValueError("users, seconds, gateway users and workers must be >= 1")
        if self.spawn_rate <= 0 or self.gateway_seconds < 0:
            raise ValueError("need spawn rate > 0 and gateway seconds >= 0")

    def locustfile(self, name: str) -> Path:
        """``locustfile_NAME.py``, absolute; ValueError when it is not there."""
        path = (self.locustfiles / f"locustfile_{name}.py").resolve()
        if not path.is_file():
            raise ValueError(
                f"no {path}: run from the repository's root, or say where with --locustfiles"
            )
        return path


@dataclass(frozen=True, slots=True)
class LocustRow:
    """One request name of Locust's stats (``Aggregated`` for all of them)."""

    kind: str
    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def label(self) -> str:
        """``GET /v1/recommendations``; ``all requests`` for the aggregate."""
        return f"{self.kind} {self.name}".strip() if self.name != "Aggregated" else "all requests"


def _number(text: str) -> float:
    return float(text) if text not in ("", "N/A") else 0.0


def locust_rows(stats_csv: Path) -> list[LocustRow]:
    """The rows of Locust's ``PREFIX_stats.csv``."""
    with stats_csv.open(newline="", encoding="utf-8") as file:
        return [
            LocustRow(
                kind=row["Type"],
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=_number(row["Requests/s"]),
                p50_ms=_number(row["50%"]),
                p95_ms=_number(row["95%"]),
                p99_ms=_number(row["99%"]),
                max_ms=_number(row["Max Response Time"]),
            )
            for row in csv.DictReader(file)
        ]


def render_locust(rows: list[LocustRow], *, title: str) -> Table:
    """Locust's stats as a table: one line per request name, the aggregate last."""
    table = results_table(
        title=title,
        caption="Locust's percentiles (rounded as Locust rounds them); SSE: opening a task's "
        "event stream until its end event; FLOW: waits made of several requests",
        label="request",
        columns=("requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"),
    )
    for row in rows:
        table.add_row(
            Text(row.label),  # not markup: names hold [id]
            f"{row.requests:,}",
            f"{row.failures:,}",
            f"{row.rps:,.1f}",
            f"{row.p50_ms:,.0f}",
            f"{row.p95_ms:,.0f}",
            f"{row.p99_ms:,.0f}",
            f"{row.max_ms:,.0f}",
        )
    return table


@dataclass(frozen=True, slots=True)
class _Scenario:
    """One Locust run: which file, against what, how many users, for how long."""

    name: str
    locustfile: Path
    host: str
    users: int
    spawn_rate: float
    seconds: int
    env: dict[str, str]


def run_locust(starter: Starter, scenario: _Scenario, out: Path) -> list[LocustRow]:
    """Run Locust headless as a child until it exits; its reports in ``out``, its rows."""
    prefix = out / f"locust-{scenario.name}"
    argv = [sys.executable, "-m", "locust", "-f", str(scenario.locustfile), "--headless"]
    argv += ["-u", str(scenario.users), "-r", f"{scenario.spawn_rate:g}"]
    argv += ["-t", f"{scenario.seconds}s", "--stop-timeout", "10", "--only-summary"]
    argv += ["--host", scenario.host, "--html", f"{prefix}.html", "--csv", str(prefix)]
    child = starter.spawn(f"locust-{scenario.name}", argv, **scenario.env)
    deadline = time.monotonic() + scenario.seconds + EXIT_GRACE
    while child.poll() is None:
        if time.monotonic() > deadline:
            raise child.failure(f"did not finish in {scenario.seconds + EXIT_GRACE:g} s")
        time.sleep(0.2)
    if child.log_file is not None:
        shutil.copyfile(child.log_file, f"{prefix}.txt")
    # Locust exits 1 when a request failed: the report says which, and that is a result.
    stats = Path(f"{prefix}_stats.csv")
    if child.poll() not in (0, 1) or not stats.is_file():
        raise child.failure(f"exited with code {child.poll()} and no {stats.name}")
    return locust_rows(stats)


def _warm(
    api_url: str, address: str, admin: Account, worker: Child, table: JobTable, *, count: int
) -> None:
    """Every worker process started (CrewAI's first kickoff takes seconds): ``count``
    analyses, waited for."""
    accepted = submit_tasks(api_url, address, [admin], count)
    waited = wait_until(table.finished, count, check=worker.check_running, stall=120, interval=0.2)
    if len(accepted) < count or waited.value < count:
        raise StackError(f"the warm-up finished {waited.value} of {count} analyses")


def _assistant(
    starter: Starter, options: LocustOptions, names: Names, rig: AssistantRig, table: JobTable
) -> tuple[list[LocustRow], str]:
    """The assistant's stack, warmed up and seeded, under Locust; the rows, the API's URL."""
    address = client_address(names)
    api_url = rig.api()
    worker = rig.worker()
    (admin,) = make_accounts(api_url, address, [rig.admin_email])
    seeded = seed_recommender(rig.services, api_url, address, admin, lambda _: None)
    _warm(api_url, address, admin, worker, table, count=2 * options.workers)
    env = {
        "BACKBONE_LOAD_REC_USERS": ",".join(str(user_id) for user_id in seeded.user_ids),
        "BACKBONE_LOAD_EMAIL_PREFIX": EMAILS.format(token=names.token),
        "BACKBONE_LOAD_SOURCE_ADDRESS": address,
    }
    scenario = _Scenario(
        ASSISTANT,
        options.locustfile(ASSISTANT),
        api_url,
        options.users,
        options.spawn_rate,
        options.seconds,
        env,
    )
    try:
        return run_locust(starter, scenario, options.out), admin.user_id
    finally:
        quiesce(rig, table, worker)


def _gateway(starter: Starter, options: LocustOptions, gateway_url: str) -> list[LocustRow]:
    """The gateway's scenario against the run's gateway (all its tasks, the mix too)."""
    users = options.gateway_users
    scenario = _Scenario(
        GATEWAY,
        options.locustfile(GATEWAY),
        gateway_url,
        users,
        float(users),
        options.gateway_seconds,
        {},
    )
    return run_locust(starter, scenario, options.out)


def _emails(names: Names, users: int) -> list[str]:
    """The Locust users' emails (the scenario numbers them from 0 in its one process)."""
    return [f"{EMAILS.format(token=names.token)}-{n}@example.com" for n in range(users)]


def measure(
    options: LocustOptions, guard: SignalGuard, say: Callable[[str], None]
) -> dict[str, list[LocustRow]]:
    """Start the stack, run the scenarios; their rows by name."""
    if importlib.util.find_spec("locust") is None:
        raise ValueError("Locust is not installed: pip install -r requirements-dev.txt")
    for name in (ASSISTANT, GATEWAY) if options.gateway_seconds else (ASSISTANT,):
        options.locustfile(name)  # there, before anything starts
    options.out.mkdir(parents=True, exist_ok=True)
    names = Names.new()
    admin = f"bench-{names.token}-admin@example.com"
    results: dict[str, list[LocustRow]] = {}
    with (
        bench_directory() as tmp,
        bench_stores(tmp, guard, names, locations=[VERSIONS]) as stores,
        children(tmp, guard) as starter,
    ):
        say(f"stores: {stores.origin}; database {names.database} and queue {names.queue}")
        rig = AssistantRig(starter, stores, names, options.workers, admin, start_services(starter))
        table = JobTable(stores.database_url, table=TASKS.name)
        keys = [client_address(names), admin, *_emails(names, options.users)]
        try:
            say(f"Locust: {options.users} users on the assistant for {options.seconds} s")
            results[ASSISTANT], admin_id = _assistant(starter, options, names, rig, table)
            keys.append(admin_id)
        finally:
            table.close()
            forget_buckets(stores.redis_url, keys)
        if options.gateway_seconds:
            say(f"Locust: {options.gateway_users} users on the gateway")
            results[GATEWAY] = _gateway(starter, options, rig.services["BACKBONE_GATEWAY_URL"])
    return results


def print_results(
    results: dict[str, list[LocustRow]], options: LocustOptions, out: Console
) -> None:
    """A table per scenario, and where the reports are."""
    for name, rows in results.items():
        seconds = options.seconds if name == ASSISTANT else options.gateway_seconds
        users = options.users if name == ASSISTANT else options.gateway_users
        out.print(render_locust(rows, title=f"Locust: {name}, {users} users, {seconds} s"))
    out.print(f"Locust's reports: {options.out}/locust-*.html (and *_stats.csv, *.txt)")


def bench_locust(options: LocustOptions, *, out: Console, err: Console) -> int:
    """Start the stack, run the scenarios, print their tables; the exit code."""
    return run_bench(
        "locust",
        lambda guard: measure(options, guard, printer(err, "dim")),
        lambda results: print_results(results, options, out),
        err=err,
        errors=ASSISTANT_BENCH_ERRORS,
    )
