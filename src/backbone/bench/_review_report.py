"""What ``backbone bench review`` prints: the acknowledgement table, the ledger, the reviews
per minute, and the goals."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table

from backbone.bench._load import percentile
from backbone.bench._output import ratio, results_table, verdict
from backbone.bench._reports_load import Samples
from backbone.bench._review_ledger import Ledger
from backbone.bench._review_load import BURST_PAUSE

__all__ = [
    "BARE",
    "MAX_P99_MS",
    "AckRow",
    "RateRow",
    "goal_lines",
    "ours_label",
    "render_acks",
    "render_ledger",
    "render_rates",
    "summarize",
]

MAX_P99_MS = 50.0
"""The issue's goal for the webhook's acknowledgement at 50 concurrent deliveries."""
BARE = "bare build_review (ruff + crew), 1 process"
LOCAL = (
    "The engine is `local`, a deterministic tool runner: NOT a language model. With a model, "
    "each review waits seconds on it and what the service adds shrinks beside that."
)


def ours_label(workers: int) -> str:
    """``webhook + job table + worker, 2 processes``."""
    return f"webhook + job table + worker, {workers} process{'' if workers == 1 else 'es'}"


@dataclass(frozen=True, slots=True)
class AckRow:
    """One endpoint under the load: answers, rate, latency percentiles, errors."""

    endpoint: str
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    cpu_ms: float | None = None
    """The server's CPU milliseconds per request, over the whole load."""


def summarize(
    endpoint: str, samples: Samples, seconds: float, *, cpu_ms: float | None = None
) -> AckRow:
    """The row of ``samples`` taken over ``seconds`` (``cpu_ms``: see :class:`AckRow`)."""
    latencies = samples.latencies_ms
    return AckRow(
        endpoint=endpoint,
        requests=len(latencies),
        rps=len(latencies) / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies, default=0.0),
        errors=samples.errors,
        cpu_ms=cpu_ms,
    )


_ACK_NOTES = (
    "errors: any other answer than 202 queued / 200, or none in 10 s; CPU: the API "
    "process's, per request of the whole load; ratios: against GET /healthz of the same "
    "server under the same load"
)
BURSTS_CAPTION = (
    f"bursts: all sent at once, all awaited, a pause of {BURST_PAUSE:g} s; {_ACK_NOTES}"
)
LOOP_CAPTION = f"a closed loop, no pause; {_ACK_NOTES}"


def render_acks(rows: list[AckRow], *, floor: AckRow, title: str, caption: str) -> Table:
    """An acknowledgement table; the ratios are against ``floor`` (also a row)."""
    table = results_table(
        title=title,
        caption=caption,
        label="endpoint",
        columns=(
            "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors",
            "CPU ms/req", "p99 vs floor", "req/s vs floor",
        ),
    )  # fmt: skip
    for row in rows:
        table.add_row(
            row.endpoint,
            f"{row.requests:,}",
            f"{row.rps:,.0f}",
            f"{row.p50_ms:.2f}",
            f"{row.p95_ms:.2f}",
            f"{row.p99_ms:.2f}",
            f"{row.max_ms:.2f}",
            str(row.errors),
            "—" if row.cpu_ms is None else f"{row.cpu_ms:.2f}",
            ratio(row.p99_ms, floor.p99_ms),
            ratio(row.rps, floor.rps),
        )
    return table


def render_ledger(ledger: Ledger, *, title: str) -> Table:
    """Every delivery answered 202 queued, against the review table and the queue."""
    table = results_table(
        title=title,
        caption="every 202 queued of the load, warm-up included; recorded: exactly one row, "
        "the one the answer named; lost: no such row, or neither a message on the queue nor "
        "a worker's claim",
        label="deliveries",
        columns=(
            "acknowledged", "recorded", "on the queue", "consumed", "lost", "duplicated",
            "rows never acknowledged",
        ),
    )  # fmt: skip
    table.add_row(
        "202 queued",
        f"{ledger.acknowledged:,}",
        f"{ledger.recorded:,}",
        f"{ledger.queued:,}",
        f"{ledger.consumed:,}",
        str(ledger.lost),
        str(ledger.duplicated),
        str(ledger.unacknowledged),
    )
    return table


@dataclass(frozen=True, slots=True)
class RateRow:
    """One way of reviewing: reviews done, in how long, how many did not complete."""

    path: str
    reviews: int
    seconds: float
    errors: int
    findings: int
    """ruff findings in one review (every pull request carries the same number)."""

    @property
    def per_minute(self) -> float:
        """Reviews done per minute."""
        return 60 * self.reviews / self.seconds if self.seconds > 0 else 0.0


def render_rates(rows: list[RateRow], *, title: str) -> Table:
    """The reviews-per-minute table; the ratio is against the bare build."""
    bare = next((row for row in rows if row.path == BARE), None)
    table = results_table(
        title=title,
        caption="ours: from the first signed delivery until the table shows the last review "
        "complete (comment and review posted on the fake GitHub); bare: a loop in one "
        "process on a snapshot read once, after a warm-up; errors: failed or never finished",
        label="path",
        columns=("reviews", "findings each", "seconds", "reviews/min", "errors", "vs bare"),
    )
    for row in rows:
        table.add_row(
            row.path,
            f"{row.reviews:,}",
            str(row.findings),
            f"{row.seconds:,.2f}",
            f"{row.per_minute:,.1f}",
            str(row.errors),
            ratio(row.per_minute, bare.per_minute if bare else None),
        )
    return table


def _ack_goals(acks: list[AckRow], users: int, ledger: Ledger) -> list[str]:
    burst, burst_floor, loop, loop_floor = acks
    met = burst.requests > 0 and burst.p99_ms <= MAX_P99_MS
    errors = sum(row.errors for row in acks)
    return [
        f"  {verdict(met)}  webhook acknowledgement p99 <= {MAX_P99_MS:g} ms with {users} "
        f"deliveries at once: {burst.p99_ms:.2f} ms (the floor's: {burst_floor.p99_ms:.2f} ms)",
        f"  {verdict(ledger.acknowledged > 0 and ledger.lost == 0)}  0 lost: "
        f"lost = {ledger.lost} of {ledger.acknowledged:,} deliveries acknowledged",
        f"  {verdict(errors == 0)}  no errors under load: {errors}",
        f"  capacity: {loop.rps:,.0f} deliveries/s with {users} clients never pausing, p99 "
        f"{loop.p99_ms:.2f} ms (the floor: {loop_floor.rps:,.0f}/s, "
        f"p99 {loop_floor.p99_ms:.2f} ms)",
        *_in_flight(loop, loop_floor, users),
    ]


def _in_flight(delivery: AckRow, floor: AckRow, users: int) -> list[str]:
    """Little's law: ``users`` always in flight wait ``users / rate`` on average, so a
    saturated server's throughput, not its time per request, sets the latency."""
    if delivery.rps <= 0 or floor.rps <= 0:
        return []
    return [
        f"  {users} deliveries always in flight at {delivery.rps:,.0f}/s wait "
        f"{1000 * users / delivery.rps:.1f} ms on average (Little's law; the floor: "
        f"{1000 * users / floor.rps:.1f} ms): the server's throughput sets this latency"
    ]


def _rate_lines(rows: list[RateRow], workers: int) -> list[str]:
    by_path = {row.path: row for row in rows}
    ours, bare = by_path.get(ours_label(workers)), by_path.get(BARE)
    if ours is None or bare is None or bare.per_minute <= 0:
        return ["  reviews/min: not compared (a row is missing or empty)"]
    share = ours.per_minute / bare.per_minute
    return [
        f"  reviews/min of a 20-file pull request: {ours.per_minute:,.1f} through the service, "
        f"{bare.per_minute:,.1f} bare: {share:.2f}x (per worker process: {share / workers:.2f}x)"
    ]


def goal_lines(
    acks: list[AckRow], ledger: Ledger, rates: list[RateRow], *, users: int, workers: int, cpus: int
) -> list[str]:
    """The goals against this run's numbers, the figures, and what makes them doubtful.

    ``acks`` is the bursts' deliveries and floor, then the closed loop's."""
    lines = [
        "Goals, measured in this run (reported, not enforced):",
        *_ack_goals(acks, users, ledger),
        *_rate_lines(rates, workers),
        f"Cores: {cpus}; the load generator, the API, PostgreSQL and Redis share them.",
        LOCAL,
    ]
    if workers > cpus:
        lines.append(f"Warning: more worker processes ({workers}) than cores ({cpus}).")
    lines.extend(
        f"Warning: {row.errors} reviews of {row.path} did not complete: not a clean comparison."
        for row in rates
        if row.errors
    )
    return lines
