"""Hot leads: a message in a lead channel that matches a phrase rule is recorded.

Only members' messages in a server's lead channels count: not bots (the bot itself
included) or webhooks, not direct messages, not other channels, not system messages.
The write goes through :class:`~backbone.community.reconcile.Crm` (never raises; a
failure is retried). A newly counted lead may get the configured acknowledgement (a
reply that pings nobody) and role; both are off by default.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from backbone.community.cogs._common import find_role
from backbone.community.history import by_a_member

if TYPE_CHECKING:
    from backbone.community.bot import CommunityBot

__all__ = ["LeadsCog"]

logger = logging.getLogger(__name__)


class LeadsCog(commands.Cog, name="Leads"):
    """Watches the lead channels for the phrase rules."""

    def __init__(self, bot: CommunityBot) -> None:
        self.bot = bot

    def watches(self, message: discord.Message) -> bool:
        """Whether ``message`` is a member's, in one of the server's lead channels."""
        if message.guild is None or not by_a_member(message):
            return False
        if self.bot.user is not None and message.author.id == self.bot.user.id:
            return False
        channel = message.channel
        name = getattr(channel, "name", None)
        refs = self.bot.settings.lead_channels
        return str(channel.id) in refs or (name is not None and name in refs)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Record a lead when the message matches; follow up on a newly counted one."""
        if not self.watches(message):
            return
        found = self.bot.matcher.match(message.content)
        if found is None:
            return
        counted = await self.bot.crm.lead(message, found)
        logger.info(
            "lead_detected guild=%s channel=%s message=%s rule=%r counted=%s",
            message.guild.id if message.guild else None,
            message.channel.id,
            message.id,
            found.rule,
            counted,
        )
        if counted is not False:
            await self.follow_up(message)

    async def follow_up(self, message: discord.Message) -> None:
        """The optional acknowledgement and role (each logged, never raised, on failure)."""
        settings = self.bot.settings
        try:
            if settings.lead_acknowledgement is not None:
                await message.reply(
                    settings.lead_acknowledgement,
                    allowed_mentions=discord.AllowedMentions.none(),
                    mention_author=False,
                )
            if settings.lead_role is not None and isinstance(message.author, discord.Member):
                await self._give_role(message.author, settings.lead_role)
        except discord.HTTPException as exc:
            logger.warning(
                "lead_follow_up_failed message=%s status=%s error=%r",
                message.id,
                exc.status,
                exc.text,
            )

    async def _give_role(self, member: discord.Member, ref: str) -> None:
        role = find_role(member.guild, ref)
        if role is None:
            logger.warning("lead_role_missing guild=%s role=%s", member.guild.id, ref)
            return
        if role not in member.roles:
            await member.add_roles(role, reason="hot lead (community bot)")
