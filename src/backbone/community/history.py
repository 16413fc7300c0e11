"""Reading a channel's recent messages: the one place the bot reads Discord's history.

:func:`channel_history` is the only call of ``channel.history``: newest first, paginated
by discord.py (100 a request, ``before`` the oldest seen), no ``after=`` (which dpytest's
fake history cannot serve, and which would read oldest first). The bot takes it as a
dependency (:class:`HistorySource`), so tests point it at a list of messages.

:func:`read_recent` walks such a source back to a time, up to a cap, and filters by
``created_at``; :func:`chat_messages` and :func:`day_leads` turn what was read into the
summariser's ``ChatMessage`` and ``DayLead`` (:mod:`backbone.community.summary`).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeAlias

import discord

from backbone.agents import AgentSettings
from backbone.community import summary
from backbone.community.store import GuildLead
from backbone.community.summary import ChatMessage, DayLead, DaySummary

__all__ = [
    "HistorySource",
    "SummaryApi",
    "by_a_member",
    "channel_history",
    "chat_messages",
    "day_leads",
    "load_summary_api",
    "read_recent",
]

HistorySource: TypeAlias = Callable[[discord.abc.Messageable], AsyncIterable[discord.Message]]
"""A channel's messages, newest first."""


class SummaryApi(Protocol):
    """What the bot calls of :mod:`backbone.community.summary` (the module satisfies it;
    tests give a stand-in)."""

    def summarize_day(
        self,
        messages: Sequence[ChatMessage],
        *,
        channel: str,
        leads: Sequence[DayLead],
        capped: bool,
        cap: int,
        settings: AgentSettings | None = None,
        now: datetime | None = None,
    ) -> DaySummary:
        """The day's summary (synchronous: CrewAI)."""

    def render_summary(self, summary: DaySummary) -> str:
        """The summary as Discord markdown, inert."""

    def split_message(self, text: str, limit: int = ...) -> list[str]:
        """``text`` in chunks Discord accepts."""


def load_summary_api() -> SummaryApi:
    """The summariser: :mod:`backbone.community.summary` (CrewAI loads when a crew runs)."""
    return summary


def channel_history(channel: discord.abc.Messageable) -> AsyncIterator[discord.Message]:
    """The channel's messages, newest first, as many as are read."""
    return channel.history(limit=None, oldest_first=False)


async def read_recent(
    messages: AsyncIterable[discord.Message], *, since: datetime, cap: int
) -> tuple[list[discord.Message], bool]:
    """The messages sent at or after ``since`` (oldest first), at most ``cap`` of them,
    and whether the cap cut the window short. ``messages`` must come newest first: the
    first one older than ``since`` ends the read."""
    if cap < 1:
        raise ValueError("cap must be at least 1")
    kept: list[discord.Message] = []
    async for message in messages:
        if message.created_at < since:
            break
        if len(kept) == cap:
            return kept[::-1], True
        kept.append(message)
    return kept[::-1], False


_MEMBER_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


def by_a_member(message: discord.Message) -> bool:
    """Whether a person wrote ``message``: not a bot (the bot itself included), not a
    webhook, not a system message (joins, pins...)."""
    return (
        not message.author.bot
        and message.webhook_id is None
        and message.type in _MEMBER_MESSAGE_TYPES
    )


def chat_messages(messages: Sequence[discord.Message]) -> list[ChatMessage]:
    """The summariser's ``ChatMessage`` of each message (plain data, safe in a thread)."""
    return [
        ChatMessage(
            message_id=message.id,
            author_id=message.author.id,
            author_name=message.author.display_name,
            content=message.content,
            created_at=message.created_at,
        )
        for message in messages
    ]


def day_leads(leads: Sequence[GuildLead]) -> list[DayLead]:
    """The summariser's ``DayLead`` of each lead event read from the CRM."""
    return [
        DayLead(
            user_id=lead.user_id,
            display_name=lead.display_name,
            phrase=lead.phrase,
            excerpt=lead.excerpt,
            at=lead.at,
        )
        for lead in leads
    ]
