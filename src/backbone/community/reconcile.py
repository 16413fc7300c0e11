"""The bot's CRM writes, which never raise, and the reconciliation that redoes what failed.

A database that is down must cost the server nothing it can see: a join is still
welcomed, a lead still acknowledged. So :class:`Crm` catches the database's errors
(:data:`DB_ERRORS`), logs them, and remembers what is owed:

- **members** need no memory: :meth:`Crm.reconcile_members` compares the server's member
  list with the table and creates the missing rows (one statement, existing rows left
  alone), on start-up and every few minutes (the reconcile cog);
- **lead events** the bot did not see (it was away) are caught up on start-up from each
  lead channel's last 24 hours (:meth:`Crm.catch_up`);
- **lead events** that failed are kept as ids (:class:`PendingLead`, at most
  :data:`MAX_PENDING`); :meth:`Crm.retry_leads` reads their channels' last 24 hours
  through the bot's history function, matches each message again and writes it. A message
  no longer there (deleted, older than 24 hours, beyond the cap) is logged as lost.

Writing the same lead twice is harmless: the table counts a message once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import discord

from backbone.community.history import HistorySource, by_a_member, read_recent
from backbone.community.leads import LeadMatch, PhraseMatcher
from backbone.community.store import (
    Executor,
    GuildLead,
    insert_missing_members,
    lead_events_since,
    record_lead,
    upsert_member,
)

__all__ = ["DB_ERRORS", "MAX_PENDING", "RETRY_WINDOW", "Crm", "PendingLead"]

logger = logging.getLogger(__name__)

DB_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,  # refused, reset, unreachable; TimeoutError is one too
)
"""What a database that is down, restarting or unreachable raises."""
MAX_PENDING = 10_000
"""Failed lead writes remembered for a retry; beyond that, new failures are lost (logged)."""
RETRY_WINDOW = timedelta(hours=24)
"""How far back a retry reads a channel's history."""

ChannelLookup = Callable[[int], object]


@dataclass(frozen=True, slots=True)
class PendingLead:
    """A lead event whose write failed: where to find its message again."""

    guild_id: int
    channel_id: int
    at: datetime


class Crm:
    """The bot's writes to the CRM (``pool`` None: no database, nothing written)."""

    def __init__(
        self,
        pool: Executor | None,
        *,
        matcher: PhraseMatcher,
        history: HistorySource,
        clock: Callable[[], datetime],
        history_cap: int,
    ) -> None:
        self.pool = pool
        self.matcher = matcher
        self.history = history
        self.clock = clock
        self.history_cap = history_cap
        self.pending: dict[int, PendingLead] = {}

    async def member_joined(self, member: discord.Member) -> bool:
        """Create or update the member's row; False if the database failed (logged)."""
        if self.pool is None:
            return False
        try:
            await upsert_member(
                self.pool,
                guild_id=member.guild.id,
                user_id=member.id,
                display_name=member.display_name[:100],
                joined_at=member.joined_at,
                seen_at=self.clock(),
            )
        except DB_ERRORS as exc:
            logger.warning(
                "member_write_failed guild=%s user=%s error=%r (reconciled later)",
                member.guild.id,
                member.id,
                exc,
            )
            return False
        return True

    async def lead(self, message: discord.Message, found: LeadMatch) -> bool | None:
        """Record the lead: True if newly counted, False if already counted, None if the
        write failed (kept for :meth:`retry_leads`) or there is no database."""
        if self.pool is None or message.guild is None:
            return None
        try:
            counted = await self._write_lead(self.pool, message, found)
        except DB_ERRORS as exc:
            self._remember(message, exc)
            return None
        self.pending.pop(message.id, None)
        return counted

    async def catch_up(self, channel: discord.TextChannel) -> int:
        """Record the leads of the channel's last 24 hours (those the bot missed while it
        was away; the others are counted already); how many were new."""
        if self.pool is None:
            return 0
        since = self.clock() - RETRY_WINDOW
        try:
            read, _ = await read_recent(self.history(channel), since=since, cap=self.history_cap)
        except discord.HTTPException as exc:
            logger.warning("lead_catch_up_unreadable channel=%s error=%r", channel.id, exc)
            return 0
        new = 0
        for message in filter(by_a_member, read):
            found = self.matcher.match(message.content)
            if found is not None and await self.lead(message, found):
                new += 1
        if new:
            logger.info("leads_caught_up channel=%s new=%s", channel.id, new)
        return new

    async def _write_lead(self, pool: Executor, message: discord.Message, found: LeadMatch) -> bool:
        assert message.guild is not None  # noqa: S101 - callers checked
        return await record_lead(
            pool,
            guild_id=message.guild.id,
            user_id=message.author.id,
            display_name=message.author.display_name[:100],
            message_id=message.id,
            channel_id=message.channel.id,
            phrase=found.rule,
            excerpt=found.excerpt,
            at=message.created_at,
        )

    def _remember(self, message: discord.Message, exc: BaseException) -> None:
        assert message.guild is not None  # noqa: S101 - callers checked
        if len(self.pending) >= MAX_PENDING and message.id not in self.pending:
            logger.error("lead_lost message=%s reason=too-many-pending error=%r", message.id, exc)
            return
        self.pending[message.id] = PendingLead(
            message.guild.id, message.channel.id, message.created_at
        )
        logger.warning(
            "lead_write_failed message=%s channel=%s error=%r (retried later)",
            message.id,
            message.channel.id,
            exc,
        )

    async def reconcile_members(self, guild: discord.Guild) -> int | None:
        """Create the rows of the server's members the table lacks (bots excepted); how
        many, or None if the database failed (logged)."""
        if self.pool is None:
            return None
        members = [(m.id, m.display_name[:100], m.joined_at) for m in guild.members if not m.bot]
        try:
            created = await insert_missing_members(
                self.pool, guild_id=guild.id, members=members, seen_at=self.clock()
            )
        except DB_ERRORS as exc:
            logger.warning("reconcile_failed guild=%s error=%r", guild.id, exc)
            return None
        if created:
            logger.info("members_reconciled guild=%s created=%s", guild.id, created)
        return created

    async def retry_leads(self, get_channel: ChannelLookup) -> None:
        """Write the pending lead events again from their channels' recent history."""
        if self.pool is None or not self.pending:
            return
        since = self.clock() - RETRY_WINDOW
        for channel_id in sorted({lead.channel_id for lead in self.pending.values()}):
            ids = {mid for mid, lead in self.pending.items() if lead.channel_id == channel_id}
            channel = get_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                self._lose(ids, "channel-gone")
                continue
            try:
                read, _ = await read_recent(
                    self.history(channel), since=since, cap=self.history_cap
                )
            except discord.HTTPException as exc:
                logger.warning("lead_retry_unreadable channel=%s error=%r", channel_id, exc)
                continue
            found = {message.id: message for message in read if message.id in ids}
            self._lose(ids - found.keys(), "not-in-recent-history")
            for message in found.values():
                await self._retry(self.pool, message)

    async def _retry(self, pool: Executor, message: discord.Message) -> None:
        match = self.matcher.match(message.content)
        if match is None:
            self._lose({message.id}, "edited-no-longer-a-lead")
            return
        try:
            await self._write_lead(pool, message, match)
        except DB_ERRORS as exc:
            logger.warning("lead_retry_failed message=%s error=%r", message.id, exc)
            return
        del self.pending[message.id]
        logger.info("lead_recovered message=%s", message.id)

    def _lose(self, ids: set[int], reason: str) -> None:
        for message_id in sorted(ids):
            lead = self.pending.pop(message_id)
            logger.error(
                "lead_lost message=%s channel=%s at=%s reason=%s",
                message_id,
                lead.channel_id,
                lead.at.isoformat(),
                reason,
            )

    async def day_leads(self, guild_id: int, since: datetime) -> list[GuildLead] | None:
        """The server's lead events since ``since``; None if the database failed or there
        is none (logged)."""
        if self.pool is None:
            return None
        try:
            return await lead_events_since(self.pool, guild_id=guild_id, since=since)
        except DB_ERRORS as exc:
            logger.warning("day_leads_unreadable guild=%s error=%r", guild_id, exc)
            return None
