"""What ``backbone bench assistant`` prints: the analyses-per-second table and the goals.

The latency table is the report benchmark's (:func:`backbone.bench._reports.render_latency`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table

from backbone.bench._output import ratio, results_table, verdict
from backbone.bench._reports import EndpointRow

__all__ = [
    "BARE",
    "MAX_P99_MS",
    "MIN_BARE_RATIO",
    "OURS",
    "WHOLE",
    "RateRow",
    "goal_lines",
    "render_rates",
    "worker_processes",
]

OURS = "our API + job table + worker"
BARE = "bare run_crew (Crew.kickoff), 1 process"
WHOLE = "run_crew + data + chart, 1 process"
MAX_P99_MS = 50.0
MIN_BARE_RATIO = 0.5
LOCAL = (
    "The engine is `local`, a deterministic tool runner: NOT a language model. With a model, "
    "each analysis waits seconds on it and these costs shrink beside that."
)


def worker_processes(count: int) -> str:
    """``1 worker process``, ``2 worker processes``."""
    return f"{count} worker process{'' if count == 1 else 'es'}"


@dataclass(frozen=True, slots=True)
class RateRow:
    """One way of running the analyses: how many completed, in how long, how many did not."""

    path: str
    tasks: int
    seconds: float
    errors: int

    @property
    def rate(self) -> float:
        """Analyses completed per second."""
        return self.tasks / self.seconds if self.seconds > 0 else 0.0


def render_rates(rows: list[RateRow], *, title: str) -> Table:
    """The analyses-per-second table; the ratio is against the bare kickoff."""
    bare = next((row for row in rows if row.path == BARE), None)
    table = results_table(
        title=title,
        caption="ours: first submission until the API shows the last one complete; "
        "1 process: a loop in one process, after a warm-up; errors: refused, failed or "
        "never finished",
        label="path",
        columns=("analyses", "seconds", "analyses/s", "errors", "vs bare run_crew"),
    )
    for row in rows:
        table.add_row(
            row.path,
            f"{row.tasks:,}",
            f"{row.seconds:,.2f}",
            f"{row.rate:,.1f}",
            str(row.errors),
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


def _rate_goal(rows: list[RateRow], workers: int) -> list[str]:
    by_path = {row.path: row for row in rows}
    ours, bare = by_path.get(OURS), by_path.get(BARE)
    if ours is None or bare is None or bare.rate <= 0:
        return ["  analyses/s: not checked (a row is missing or empty)"]
    share = ours.rate / bare.rate
    return [
        f"  {verdict(share >= MIN_BARE_RATIO)}  analyses/s >= {MIN_BARE_RATIO:.2f}x bare "
        f"run_crew: {share:.2f}x ({ours.rate:,.1f} vs {bare.rate:,.1f} analyses/s)",
        f"  ours ran on {worker_processes(workers)}, the bare crew on 1 process: per process, ours "
        f"is {share / workers:.2f}x",
    ]


def goal_lines(
    latency: list[EndpointRow],
    rates: list[RateRow],
    *,
    users: int,
    busy: int,
    workers: int,
    cpus: int,
    extra: list[str] | None = None,
) -> list[str]:
    """The goals against this run's numbers, and what makes them doubtful.

    ``busy`` of the ``workers`` processes were running an analysis when the load ended;
    ``extra`` are more goal lines (the recommendations').
    """
    lines = [
        "Goals, measured in this run (reported, not enforced):",
        *_latency_goals(latency, users),
        *_rate_goal(rates, workers),
        *(extra or []),
        f"Worker processes running an analysis at the end of the load: {busy} of {workers}; "
        f"cores: {cpus}.",
        LOCAL,
    ]
    if busy < workers:
        lines.append("Warning: not every worker process was busy: the latency is not under load.")
    if workers > cpus:
        lines.append(f"Warning: more worker processes ({workers}) than cores ({cpus}).")
    lines.extend(
        f"Warning: {row.errors} errors in the analyses of {row.path}: not a clean comparison."
        for row in rates
        if row.errors
    )
    return lines
