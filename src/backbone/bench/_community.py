"""``backbone bench community``: the lead detector's messages per second with its CRM
write, and the time to summarise a day of 5,000 messages on the offline engine.

One run, two measurements, on a database of its own (the machine's ``DATABASE_URL`` or
an embedded PostgreSQL, like every benchmark), each against a baseline of the same run:

1. **Lead detector** (:mod:`backbone.bench._community_leads`): ``messages`` messages of a
   day's chat, ``lead_share`` of them leads, through the phrase rules and the CRM write,
   ``concurrency`` at once; against the rules alone and against one bare ``INSERT`` per
   lead; then the ledger (lost 0, each message counted once).
2. **Daily summary** (:mod:`backbone.bench._community_summary`): ``summary_messages``
   messages through ``summarize_day`` on ``local`` — a deterministic tool runner, **not a
   language model** — then rendered and split for Discord; against the analysis alone.

No Discord: the bot's handlers call these same functions, and Discord's own latency
(hundreds of milliseconds a message, its rate limits) would only hide them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console

from backbone.agents import configure_crewai
from backbone.bench._community_corpus import chat_day
from backbone.bench._community_leads import LeadLedger, LeadRow, measure_leads
from backbone.bench._community_summary import SummaryRow, measure_summary
from backbone.bench._output import printer, ratio, results_table, run_bench, times
from backbone.bench._reports_stack import Names, bench_stores
from backbone.bench._stack import StackError, bench_directory
from backbone.community.leads import DEFAULT_LEAD_PHRASES
from backbone.community.migrations import VERSIONS
from backbone.devstack import SignalGuard

__all__ = ["CommunityOptions", "bench_community"]


@dataclass(frozen=True, slots=True)
class CommunityOptions:
    """The day's size, its share of leads, the concurrency, the summary's size and rounds."""

    messages: int = 20_000
    lead_share: float = 0.1
    concurrency: int = 10
    summary_messages: int = 5_000
    rounds: int = 3

    def __post_init__(self) -> None:
        if min(self.messages, self.concurrency, self.summary_messages, self.rounds) < 1:
            raise ValueError("messages, concurrency, summary messages and rounds must be >= 1")
        if not 0.0 <= self.lead_share <= 1.0:
            raise ValueError("the lead share is between 0 and 1")


@dataclass(frozen=True, slots=True)
class _Results:
    leads: list[LeadRow]
    ledger: LeadLedger
    summary: list[SummaryRow]


def _run(options: CommunityOptions, guard: SignalGuard, say: Callable[[str], None]) -> _Results:
    names = Names.new()
    lines = chat_day(options.messages, lead_share=options.lead_share)
    rules = DEFAULT_LEAD_PHRASES
    with bench_directory() as tmp, bench_stores(tmp, guard, names, locations=[VERSIONS]) as stores:
        say(f"stores: {stores.origin}; database {names.database}")
        say(
            f"lead detector: {options.messages:,} messages ({options.lead_share:.0%} leads),"
            f" {options.concurrency} at once"
        )
        leads, ledger = asyncio.run(
            measure_leads(stores.database_url, lines, concurrency=options.concurrency, rules=rules)
        )
        if ledger.lost or ledger.duplicated:
            raise StackError(f"the lead ledger: {ledger.lost} lost, {ledger.duplicated} duplicated")
        day = chat_day(options.summary_messages, lead_share=options.lead_share, seed=5)
        say(f"daily summary: {options.summary_messages:,} messages, {options.rounds} rounds")
        configure_crewai(data_dir=tmp)
        summary = measure_summary(day, rounds=options.rounds)
    return _Results(leads, ledger, summary)


def _print_leads(rows: list[LeadRow], out: Console) -> None:
    ours, alone, floor = rows
    table = results_table(
        title="Lead detector: messages through the phrase rules and the CRM write",
        label="path",
        columns=["messages", "leads", "seconds", "messages/s", "vs ours"],
        caption="vs ours: that row's messages/s against ours (the bot's handler + CRM write)",
    )
    for row in (ours, alone, floor):
        table.add_row(
            row.label,
            f"{row.messages:,}",
            f"{row.leads:,}",
            f"{row.seconds:.2f}",
            f"{row.per_second:,.0f}",
            ratio(row.per_second, ours.per_second),
        )
    out.print(table)


def _print_ledger(ledger: LeadLedger, out: Console) -> None:
    out.print(
        f"ledger: {ledger.expected:,} lead messages, {ledger.events:,} lead events"
        f" ({ledger.distinct_messages:,} messages), {ledger.hot_leads:,} hot leads with a"
        f" total score of {ledger.score:,}; lost {ledger.lost}, duplicated"
        f" {ledger.duplicated} (the day fed twice added {ledger.replay_added})"
    )


def _print_summary(summary: list[SummaryRow], out: Console) -> None:
    table = results_table(
        title=(
            f"Daily summary of {summary[0].messages:,} messages"
            " (engine local: NOT a language model)"
        ),
        label="path",
        columns=["median s", "rounds (s)", "vs analysis", "what it made"],
    )
    analysis = summary[-1].seconds
    for row in summary:
        rounds = ", ".join(f"{value:.2f}" for value in row.rounds)
        table.add_row(
            row.label, f"{row.seconds:.2f}", rounds, times(row.seconds / analysis), row.detail
        )
    out.print(table)


def _print(results: _Results, out: Console) -> None:
    _print_leads(results.leads, out)
    _print_ledger(results.ledger, out)
    _print_summary(results.summary, out)


def bench_community(options: CommunityOptions, *, out: Console, err: Console) -> int:
    """Run the benchmark, print its tables; the exit code (see :func:`run_bench`)."""
    say = printer(err, "dim")
    return run_bench(
        "community",
        lambda guard: _run(options, guard, say),
        lambda results: _print(results, out),
        err=err,
        errors=(StackError, OSError),
    )
