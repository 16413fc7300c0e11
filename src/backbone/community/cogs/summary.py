"""``!summarize-day [#channel]`` (and ``/summarize-day``): an admin's summary of a day.

Anyone else gets a short refusal and nothing is read or posted; so does an admin naming
a channel they cannot read themselves. For an admin: the last
24 hours of the channel (default: the first lead channel) are read through the bot's
history function, up to the cap, without bots' messages (earlier summaries included) or
the command's own invocations; the day's hot leads come from the CRM; the summariser
(:mod:`backbone.community.summary`, CrewAI, so in a thread) writes the report, which is
posted to the report channel in chunks under Discord's limit with no mentions allowed.
A summariser failure is logged and told to the admin in one line; the bot carries on.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from backbone.agents import AgentSettings
from backbone.community.cogs._common import find_text_channel, is_admin
from backbone.community.history import (
    SummaryApi,
    by_a_member,
    chat_messages,
    day_leads,
    read_recent,
)
from backbone.community.summary import ChatMessage, DayLead

if TYPE_CHECKING:
    from backbone.community.bot import CommunityBot

__all__ = ["COMMAND", "DAY", "SummaryCog"]

logger = logging.getLogger(__name__)

COMMAND = "summarize-day"
DAY = timedelta(hours=24)
_QUIET = discord.AllowedMentions.none()
Context = commands.Context["CommunityBot"]


class SummaryCog(commands.Cog, name="Summary"):
    """The admins' day summary."""

    def __init__(self, bot: CommunityBot) -> None:
        self.bot = bot

    @commands.guild_only()
    # One summary at a time per server: each reads up to the cap from Discord's API.
    @commands.max_concurrency(1, per=commands.BucketType.guild, wait=False)
    # mypy cannot solve hybrid_command's union of callback types (any callback fails).
    @commands.hybrid_command(  # type: ignore[arg-type]
        name=COMMAND,
        description="Summarise a channel's last 24 hours.",
        # "!summarize-day #typo" must not summarise the default channel instead.
        ignore_extra=False,
    )
    async def summarize_day(self, ctx: Context, channel: discord.TextChannel | None = None) -> None:
        """Summarise the last 24 hours of a channel (default: the first lead channel)."""
        settings = self.bot.settings
        if ctx.guild is None or not is_admin(ctx.author, settings):
            await ctx.send(
                "Sorry, only admins can run this.", ephemeral=True, allowed_mentions=_QUIET
            )
            return
        target = channel or find_text_channel(ctx.guild, settings.lead_channels[0])
        report = find_text_channel(ctx.guild, settings.report_channel)
        if target is None or report is None:
            missing = settings.lead_channels[0] if target is None else settings.report_channel
            await ctx.send(f"I cannot find the channel `{missing}`.", allowed_mentions=_QUIET)
            return
        if not _can_read(ctx.author, target):
            # A summary must not show an admin a channel Discord hides from them.
            await ctx.send(
                f"You cannot read {target.mention}, so I will not summarise it.",
                ephemeral=True,
                allowed_mentions=_QUIET,
            )
            return
        await ctx.defer()
        try:
            chunks = await self._summary(ctx.guild, target)
        except Exception as exc:
            # The kind only: the details (a provider's reply, URLs) belong in the log.
            logger.exception("summary_failed guild=%s channel=%s", ctx.guild.id, target.id)
            failed = f"The summary failed ({type(exc).__name__}); the bot's log says why."
            await ctx.send(failed, allowed_mentions=_QUIET)
            return
        for chunk in chunks:
            await report.send(chunk, allowed_mentions=_QUIET)
        await ctx.send(
            f"Summary of {target.mention} posted in {report.mention} ({len(chunks)} message(s)).",
            allowed_mentions=_QUIET,
        )

    async def _summary(self, guild: discord.Guild, channel: discord.TextChannel) -> list[str]:
        """The report's chunks: the channel's day read, the CRM's leads, the summariser."""
        bot, cap, now = self.bot, self.bot.settings.summary_cap, self.bot.clock()
        since = now - DAY
        read, capped = await read_recent(bot.history(channel), since=since, cap=cap)
        messages = chat_messages([m for m in read if self._kept(m)])
        leads = day_leads(await bot.crm.day_leads(guild.id, since) or [])
        return await asyncio.to_thread(
            _summarise,
            bot.summary_api(),
            messages,
            channel=channel.name,
            leads=leads,
            capped=capped,
            cap=cap,
            settings=bot.agents,
            now=now,
        )

    def _kept(self, message: discord.Message) -> bool:
        """Members' messages only: no bot (its earlier summaries), no command calls."""
        if not by_a_member(message):
            return False
        prefix = f"{self.bot.command_prefix}{COMMAND}"
        text = message.content.strip()
        return not (text == prefix or text.startswith(prefix + " "))


def _can_read(author: discord.abc.User, channel: discord.TextChannel) -> bool:
    """Whether ``author`` may read ``channel``'s history (a member of its server)."""
    if not isinstance(author, discord.Member):
        return False
    permissions = channel.permissions_for(author)
    return permissions.view_channel and permissions.read_message_history


def _summarise(
    api: SummaryApi,
    messages: list[ChatMessage],
    *,
    channel: str,
    leads: list[DayLead],
    capped: bool,
    cap: int,
    settings: AgentSettings | None,
    now: datetime,
) -> list[str]:
    """The summariser's report of the day as message-sized chunks (runs in a thread)."""
    day = api.summarize_day(
        messages, channel=channel, leads=leads, capped=capped, cap=cap, settings=settings, now=now
    )
    return api.split_message(api.render_summary(day))
