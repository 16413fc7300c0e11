"""Onboarding: a join is welcomed in the welcome channel, then recorded in the CRM.

Bots are neither welcomed nor recorded. The welcome may ping the member who joined and
nobody else (``AllowedMentions(users=[member])``, every other kind off), whatever their
name contains; the name itself is escaped by :func:`~backbone.community.render_welcome`.
A welcome channel that is missing or closed to the bot is logged and the row is still
written; a database that is down is logged and the row written later by the reconciler.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from backbone.community.cogs._common import find_text_channel
from backbone.community.welcome import render_welcome

if TYPE_CHECKING:
    from backbone.community.bot import CommunityBot

__all__ = ["WelcomeCog"]

logger = logging.getLogger(__name__)


class WelcomeCog(commands.Cog, name="Welcome"):
    """Welcomes and records each member who joins."""

    def __init__(self, bot: CommunityBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """Welcome the member, then write their row (a rejoin updates the same row)."""
        if member.bot:
            return
        await self.welcome(member)
        await self.bot.crm.member_joined(member)

    async def welcome(self, member: discord.Member) -> discord.Message | None:
        """Send the member's welcome; None if it could not be sent (logged)."""
        settings = self.bot.settings
        channel = find_text_channel(member.guild, settings.welcome_channel)
        if channel is None:
            logger.warning(
                "welcome_channel_missing guild=%s channel=%s",
                member.guild.id,
                settings.welcome_channel,
            )
            return None
        text = render_welcome(
            settings.welcome_template,
            mention=member.mention,
            name=member.display_name,
            server=member.guild.name,
            member_count=member.guild.member_count or len(member.guild.members),
        )
        only_them = discord.AllowedMentions(
            everyone=False, users=[member], roles=False, replied_user=False
        )
        try:
            return await channel.send(text, allowed_mentions=only_them)
        except discord.HTTPException as exc:
            logger.warning(
                "welcome_not_sent guild=%s channel=%s status=%s error=%r",
                member.guild.id,
                channel.id,
                exc.status,
                exc.text,
            )
            return None
