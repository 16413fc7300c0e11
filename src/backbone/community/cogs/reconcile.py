"""The reconciler's schedule: once the bot is ready, then every few minutes.

Each round creates the CRM rows of the members a failed write left out and retries the
lead events that could not be written (:class:`~backbone.community.reconcile.Crm`); the
first also catches up on the leads of the lead channels' last 24 hours, posted while the
bot was away. A
round never stops the loop: whatever it raises is logged, and the next round comes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from backbone.community.cogs._common import find_text_channel

if TYPE_CHECKING:
    from backbone.community.bot import CommunityBot

__all__ = ["ReconcileCog"]

logger = logging.getLogger(__name__)


class ReconcileCog(commands.Cog, name="Reconcile"):
    """Runs :meth:`reconcile` on start-up and every ``reconcile_interval_seconds``."""

    def __init__(self, bot: CommunityBot) -> None:
        self.bot = bot
        self.caught_up = False
        self.rounds.change_interval(seconds=bot.settings.reconcile_interval_seconds)

    async def cog_load(self) -> None:
        """Start the schedule (its first round waits for the bot to be ready)."""
        self.rounds.start()

    async def cog_unload(self) -> None:
        """Stop the schedule."""
        self.rounds.cancel()

    @tasks.loop(minutes=5)
    async def rounds(self) -> None:
        """One scheduled round."""
        await self.reconcile()

    @rounds.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def reconcile(self) -> None:
        """Missing member rows created and failed lead writes retried, in every server."""
        crm = self.bot.crm
        try:
            for guild in self.bot.guilds:
                await crm.reconcile_members(guild)
            if not self.caught_up:
                await self._catch_up()
            await crm.retry_leads(self.bot.get_channel)
        except Exception:
            logger.exception("reconcile_round_failed")

    async def _catch_up(self) -> None:
        for guild in self.bot.guilds:
            for ref in self.bot.settings.lead_channels:
                channel = find_text_channel(guild, ref)
                if channel is not None:
                    await self.bot.crm.catch_up(channel)
        self.caught_up = True
