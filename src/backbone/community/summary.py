"""``!summarize-day``'s brain: a channel's last 24 hours summarised, Discord-free.

The bot adapts ``discord.Message`` into :class:`ChatMessage` and the CRM's lead events
into :class:`DayLead`, then (from a worker thread: CrewAI runs its own event loop)::

    day = await asyncio.to_thread(summarize_day, messages, channel=..., leads=...,
                                  capped=..., cap=..., settings=agents)
    for chunk in split_message(render_summary(day)):
        await report_channel.send(chunk, allowed_mentions=AllowedMentions.none())

:func:`summarize_day` runs the Community Summariser crew (``crews/summary.py``). Its one
tool, ``analyse_messages``, is bound to the day's messages and returns
:func:`~backbone.community._analysis.analyse_messages`' measurements: topics (yake),
sentiment (VADER), open questions. The messages and the leads enter the prompt only as
delimited, untrusted data. With the offline engine (``local``) the plan calls the tool
and the summary is exactly what it computed. With a model, the model's text becomes
:attr:`DaySummary.notes`, shown beside the measured topics and sentiment, which it can
neither change nor remove. Failures are handled as the review engine handles them: a
model that asks for a tool it may not use, or for arguments the tool refuses
(:class:`~backbone.agents.ToolFailed`), loses its notes and the measured summary stands;
a model that cannot be used (:class:`~backbone.agents.LLMError`, after its bounded
retries) is raised, so the bot tells the admin the summary failed and why. An empty day
runs no crew.

:func:`render_summary` writes Discord markdown in which everything users wrote (names,
excerpts, questions, leads) and the model's notes are inert
(:func:`~backbone.community.welcome.escape_discord_text`); :func:`split_message` cuts it
under Discord's 2,000 characters.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backbone.agents import AgentSettings, Step, ToolCall, ToolFailed, engine_label, run_crew
from backbone.community._analysis import (
    Analysis,
    ChatMessage,
    Question,
    Sentiment,
    Topic,
    analyse_messages,
)
from backbone.community.crews.summary import ANALYSE_MESSAGES, summary_crew
from backbone.community.welcome import MAX_MESSAGE_CHARS, escape_discord_text

__all__ = [
    "MAX_DISCORD_MESSAGE",
    "MAX_LEADS_SHOWN",
    "MAX_NOTES_CHARS",
    "SUMMARY_WINDOW",
    "ChatMessage",
    "DayLead",
    "DaySummary",
    "Question",
    "Sentiment",
    "Topic",
    "render_summary",
    "split_message",
    "summarize_day",
]

logger = logging.getLogger(__name__)

MAX_DISCORD_MESSAGE = MAX_MESSAGE_CHARS
"""Discord refuses a longer message (2,000 characters)."""
SUMMARY_WINDOW = timedelta(hours=24)
MAX_LEADS_SHOWN = 10
MAX_NOTES_CHARS = 1500
"""The most of a model's notes shown (a summary is not the place for an essay)."""
MAX_PROMPT_CHARS = 40_000
"""The most of the day's transcript a model reads: the most recent messages that fit."""
PROMPT_MESSAGE_CHARS = 500
REDACTED = "[redacted]"
_UNSAFE_CHANNEL = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class DayLead:
    """A hot-lead event of the day, from the CRM table."""

    user_id: int
    display_name: str
    phrase: str
    excerpt: str
    at: datetime


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One channel's day: what was read, what was measured, and the model's notes.

    Text from users and models is kept raw here; :func:`render_summary` escapes it.
    ``notes`` is the model's prose (``None`` on the offline engine); ``sampled`` says
    when the keywords came from a sample of a big day.
    """

    channel: str
    window_start: datetime
    window_end: datetime
    message_count: int
    capped: bool
    cap: int
    topics: tuple[Topic, ...]
    sentiment: Sentiment
    questions: tuple[Question, ...]
    leads: tuple[DayLead, ...]
    engine: str
    language_model: bool
    notes: str | None = None
    sampled: str | None = None


def _clock(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M")


def _transcript(messages: Sequence[ChatMessage]) -> str:
    """One line a message, the most recent that fit in :data:`MAX_PROMPT_CHARS`."""
    lines: list[str] = []
    used = 0
    for message in reversed(messages):
        content = " ".join(message.content.split())[:PROMPT_MESSAGE_CHARS]
        line = f"[{_clock(message.created_at)}] {message.author_name}: {content}"
        if used + len(line) + 1 > MAX_PROMPT_CHARS:
            lines.append(f"[{len(messages) - len(lines)} earlier messages not shown]")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(reversed(lines))


def _leads_text(leads: Sequence[DayLead]) -> str:
    lines = [
        f"[{_clock(lead.at)}] {lead.display_name} ({lead.phrase}): {lead.excerpt}" for lead in leads
    ]
    return "\n".join(lines) or "(none)"


def _inputs(
    channel: str, count: int, start: datetime, end: datetime, cap: int | None
) -> dict[str, str]:
    """The task's placeholders: trusted values only (the channel's name made safe)."""
    return {
        "channel": _UNSAFE_CHANNEL.sub("", channel)[:100] or "channel",
        "message_count": str(count),
        "window_start": start.strftime("%Y-%m-%d %H:%M UTC"),
        "window_end": end.strftime("%Y-%m-%d %H:%M UTC"),
        "capped": f" (the cap of {cap} messages was reached)" if cap is not None else "",
    }


def _local_answer(steps: Sequence[Step]) -> str:
    """The offline engine's final answer: counts only, no text anybody wrote."""
    answer = steps[-1].output if steps else None
    if not isinstance(answer, dict):
        return "The analysis did not run."
    sentiment = answer["sentiment"]["label"]
    return (
        f"Analysed {answer['message_count']} messages: {len(answer['topics'])} topics, "
        f"{sentiment} sentiment, {len(answer['questions'])} open questions."
    )


def _notes(text: str, settings: AgentSettings) -> str:
    """The model's text, its key redacted, cut at :data:`MAX_NOTES_CHARS`."""
    key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    if key:
        text = text.replace(key, REDACTED)
    text = text.strip()
    if len(text) > MAX_NOTES_CHARS:
        text = text[: MAX_NOTES_CHARS - 1] + "…"
    return text


def _run_agent(
    messages: Sequence[ChatMessage],
    *,
    analyse: Callable[[], Analysis],
    inputs: dict[str, str],
    leads: Sequence[DayLead],
    settings: AgentSettings,
) -> str | None:
    """Run the crew; the model's notes (``None`` on the offline engine)."""
    spec = summary_crew(analyse)
    untrusted = {"messages": _transcript(messages), "hot_leads": _leads_text(leads)}
    if settings.is_local:
        run_crew(
            spec,
            settings=settings,
            inputs=inputs,
            untrusted=untrusted,
            plan=[ToolCall(ANALYSE_MESSAGES, {})],
            compose=_local_answer,
        )
        return None
    try:
        outcome = run_crew(spec, settings=settings, inputs=inputs, untrusted=untrusted)
    except ToolFailed as exc:
        # The model asked for something the tool refused: its notes are lost, the
        # measurements stand. (A model that cannot be reached fails the summary instead.)
        logger.warning("summary_agent_tool_failed channel=%s error=%s", inputs["channel"], exc)
        return _notes(f"The model's summary stopped: {exc}", settings)
    return _notes(outcome.text, settings) or None


def _window(now: datetime | None) -> tuple[datetime, datetime]:
    end = now or datetime.now(UTC)
    if end.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return end - SUMMARY_WINDOW, end


def summarize_day(
    messages: Sequence[ChatMessage],
    *,
    channel: str,
    leads: Sequence[DayLead],
    capped: bool,
    cap: int,
    settings: AgentSettings | None = None,
    now: datetime | None = None,
) -> DaySummary:
    """Summarise ``messages`` (the channel's last 24 hours as the caller read them;
    ``capped``: it stopped at ``cap``) with ``settings``' engine (default
    ``BACKBONE_LLM_*``), the window ending at ``now``. See the module. Synchronous: call
    it from a worker thread. Raises :class:`~backbone.agents.LLMError` (no model)."""
    settings = settings or AgentSettings()
    start, end = _window(now)
    ordered = sorted(messages, key=lambda m: (m.created_at, m.message_id))
    analyse = functools.cache(lambda: analyse_messages(ordered))
    notes = None
    if ordered:
        inputs = _inputs(channel, len(ordered), start, end, cap if capped else None)
        notes = _run_agent(ordered, analyse=analyse, inputs=inputs, leads=leads, settings=settings)
    analysis = analyse()
    topics, label = len(analysis.topics), analysis.sentiment.label
    logger.info(
        "summary_built channel=%s messages=%d capped=%s topics=%d sentiment=%s engine=%s",
        *(channel, len(ordered), capped, topics, label, settings.model),
    )
    return DaySummary(
        channel=channel,
        window_start=start,
        window_end=end,
        message_count=len(ordered),
        capped=capped,
        cap=cap,
        topics=analysis.topics,
        sentiment=analysis.sentiment,
        questions=analysis.questions,
        leads=tuple(leads),
        engine=engine_label(settings),
        language_model=not settings.is_local,
        notes=notes,
        sampled=analysis.sampled,
    )


# ------------------------------------------------------------------------- rendering


_inert = escape_discord_text


def _header(day: DaySummary) -> list[str]:
    window = (
        f"{day.window_start.astimezone(UTC):%Y-%m-%d %H:%M} to "
        f"{day.window_end.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    )
    lines = [f"**Daily summary of #{_inert(day.channel)}**, last 24 hours ({window})"]
    if not day.message_count:
        lines.append(f"No messages in #{_inert(day.channel)} in the last 24 hours.")
        return lines
    read = f"{day.message_count:,} messages read."
    if day.capped:
        read += f" The cap of {day.cap:,} messages reached — older messages not read."
    lines.append(read)
    if day.sampled:
        lines.append(f"Note: {day.sampled}.")
    return lines


def _engine_line(day: DaySummary) -> str:
    how = "topics by keyword extraction (yake), sentiment by lexicon (VADER)"
    if not day.language_model:
        return f"Engine: {_inert(day.engine)}; {how}."
    return (
        f"Engine: {_inert(day.engine)}, a language model, wrote the notes; the topics, "
        f"sentiment and questions are measured ({how})."
    )


def _body(day: DaySummary) -> list[str]:
    lines = ["", "**Topics**"]
    lines += [f"{i}. **{_inert(t.title)}**: {_inert(t.line)}" for i, t in enumerate(day.topics, 1)]
    sentiment = day.sentiment
    lines += ["", f"**Sentiment: {sentiment.label}**: {_inert(sentiment.basis)}", ""]
    if not day.questions:
        lines.append("**Open questions:** none")
        return lines
    lines.append("**Open questions**")
    for question in day.questions:
        times = "" if question.asked == 1 else f", asked {question.asked} times"
        lines.append(
            f"• “{_inert(question.text)}” ({_inert(question.author_name)}, "
            f"{_clock(question.at)} UTC{times})"
        )
    return lines


def _leads(day: DaySummary) -> list[str]:
    if not day.leads:
        return ["**Hot leads today:** none"]
    lines = ["**Hot leads today**"]
    for lead in day.leads[:MAX_LEADS_SHOWN]:
        lines.append(
            f"• {_inert(lead.display_name)}: “{_inert(lead.phrase)}” in "
            f"“{_inert(lead.excerpt)}” ({_clock(lead.at)} UTC)"
        )
    if len(day.leads) > MAX_LEADS_SHOWN:
        lines.append(f"…and {len(day.leads) - MAX_LEADS_SHOWN} more in the CRM.")
    return lines


def render_summary(summary: DaySummary) -> str:
    """The summary as Discord markdown; everything users or a model wrote is inert."""
    lines = _header(summary)
    if summary.message_count:
        lines += _body(summary)
    lines += ["", *_leads(summary)]
    if summary.notes:
        lines += ["", "**The model's notes** (a language model's words, not checked)"]
        lines += [_inert(line) for line in summary.notes.splitlines() if line.strip()]
    lines += ["", _engine_line(summary)]
    return "\n".join(lines)


def _cut(rest: str, limit: int) -> int:
    """Where to cut ``rest``: after its last line or word that fits, else hard (never
    between a backslash and the character it escapes)."""
    window = rest[: limit + 1]
    for separator in ("\n", " "):
        cut = window.rfind(separator)
        if cut > 0 and rest[:cut].strip():
            return cut
    cut = limit
    if rest[cut - 1] == "\\" and cut > 1:
        cut -= 1
    return cut


def split_message(text: str, limit: int = MAX_DISCORD_MESSAGE) -> list[str]:
    """``text`` in chunks of at most ``limit`` characters, none empty or blank.

    Cut after the last line that fits, else the last word, else hard. Each chunk is a
    contiguous piece of ``text``, in order; only whitespace at the cuts (and around the
    whole text) is dropped, so every other character is kept. A cut at a line boundary
    drops that newline: a text cut only at lines is ``"\\n".join(chunks)``.
    """
    if limit < 2:
        raise ValueError("the limit must be at least 2 characters")
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        if len(rest) <= limit:
            chunks.append(rest)
            break
        cut = _cut(rest, limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return chunks
