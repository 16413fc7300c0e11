"""The daily summary's time on the offline engine: 5,000 messages, against its analysis
alone.

- **ours**: :func:`backbone.community.summary.summarize_day` on the day's messages (the
  crew on ``local``: CrewAI's agent loop, the analysis tool, the summary), then
  :func:`~backbone.community.summary.render_summary` and
  :func:`~backbone.community.summary.split_message`: what ``!summarize-day`` runs after it
  has read the channel;
- **the analysis alone**: the crew's one tool called directly,
  :func:`~backbone.community._analysis.analyse_messages` (yake topics, VADER sentiment,
  open questions) with no agent around it: the ratio is what the agent loop and the
  rendering add.

Each is run ``rounds`` times after one warm-up round (CrewAI's import, VADER's lexicon),
and the median round is reported.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from backbone.bench._community_corpus import ChatLine
from backbone.community import ChatMessage

__all__ = ["SummaryRow", "measure_summary"]


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One way to summarise the day: its median round, and what it produced."""

    label: str
    messages: int
    seconds: float
    rounds: list[float]
    detail: str


def _median_of(rounds: int, work: Callable[[], str]) -> tuple[float, list[float], str]:
    work()  # warm-up: imports, lexicon, caches
    times, detail = [], ""
    for _ in range(rounds):
        started = time.perf_counter()
        detail = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, detail


def _messages(lines: Sequence[ChatLine]) -> list[ChatMessage]:
    return [
        ChatMessage(
            message_id=line.message_id,
            author_id=line.author_id,
            author_name=line.author_name,
            content=line.content,
            created_at=line.created_at,
        )
        for line in lines
    ]


def _ours(lines: Sequence[ChatLine]) -> Callable[[], str]:
    from backbone.community.summary import (
        render_summary,
        split_message,
        summarize_day,
    )

    messages = _messages(lines)

    def work() -> str:
        summary = summarize_day(messages, channel="general-chat", leads=[], capped=False, cap=5000)
        chunks = split_message(render_summary(summary))
        return (
            f"{len(summary.topics)} topics, sentiment {summary.sentiment.label},"
            f" {len(chunks)} Discord message(s)"
        )

    return work


def _analysis_alone(lines: Sequence[ChatLine]) -> Callable[[], str]:
    from backbone.community._analysis import analyse_messages

    messages = _messages(lines)

    def work() -> str:
        analysis = analyse_messages(messages)
        return f"{len(analysis.topics)} topics, sentiment {analysis.sentiment.label}"

    return work


def measure_summary(lines: Sequence[ChatLine], *, rounds: int) -> list[SummaryRow]:
    """Ours, then the analysis alone, each ``rounds`` times after a warm-up."""
    rows = []
    for label, work in (
        ("summarize_day + render + split (local engine)", _ours(lines)),
        ("the analysis alone (yake + VADER, no crew)", _analysis_alone(lines)),
    ):
        seconds, times, detail = _median_of(rounds, work)
        rows.append(SummaryRow(label, len(lines), seconds, times, detail))
    return rows
