"""The community bot: :func:`create_bot` builds it, :func:`start_bot` runs it.

The bot is a :class:`discord.ext.commands.Bot` (prefix ``!``) whose cogs
(:mod:`backbone.community.cogs`) are added in :meth:`CommunityBot.setup_hook`, where the
CRM's asyncpg pool is also created from ``DATABASE_URL`` unless one was given (no
``DATABASE_URL``: the bot welcomes and watches but records nothing). The pool connects
lazily (``min_size=0``), so a database that is down at start-up does not stop the bot;
the pool the bot created is closed with it.

**Intents**: the defaults plus ``members`` (joins, the member list the reconciler reads)
and ``message_content`` (the lead phrases, the summaries). Both are *privileged*: they
must be switched on in Discord's developer portal (:data:`INTENTS_HELP`), or Discord
refuses the connection and :func:`start_bot` says so.

**Mentions are opt-in**: the bot's default is ``AllowedMentions.none()``; each send also
says what it allows (a welcome pings its member, nothing else pings anyone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import discord
from discord.ext import commands

from backbone.agents import AgentSettings
from backbone.community.cogs import COGS
from backbone.community.config import CommunitySettings, get_settings
from backbone.community.history import (
    HistorySource,
    SummaryApi,
    channel_history,
    load_summary_api,
)
from backbone.community.leads import PhraseMatcher
from backbone.community.reconcile import Crm
from backbone.core.db import libpq_url

__all__ = [
    "COMMAND_PREFIX",
    "INTENTS_HELP",
    "LOGIN_REFUSED",
    "BotStartError",
    "CommunityBot",
    "bot_intents",
    "create_bot",
    "invite_permissions",
    "invite_url",
    "start_bot",
]

logger = logging.getLogger(__name__)

COMMAND_PREFIX = "!"
INTENTS_HELP = (
    "Discord refused the bot's privileged intents. In the developer portal"
    " (https://discord.com/developers/applications), open the application, then the Bot"
    " tab, and under Privileged Gateway Intents switch on the Server Members Intent and"
    " the Message Content Intent; save, and start the bot again."
)
LOGIN_REFUSED = (
    "Discord refused the bot token (BACKBONE_COMMUNITY_DISCORD_TOKEN or DISCORD_TOKEN):"
    " copy it again from the developer portal's Bot tab (Reset Token)."
)


class BotStartError(RuntimeError):
    """The bot could not start; the message says what to do about it."""


def bot_intents() -> discord.Intents:
    """The default intents plus the privileged ``members`` and ``message_content``."""
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    return intents


def _now() -> datetime:
    return datetime.now(UTC)


class CommunityBot(commands.Bot):
    """The bot and what its cogs share: settings, the phrase matcher, the CRM, the history
    function, the summariser and the clock."""

    def __init__(
        self,
        settings: CommunitySettings,
        *,
        pool: asyncpg.Pool | None,
        history: HistorySource,
        summary_api: Callable[[], SummaryApi],
        agents: AgentSettings | None,
        clock: Callable[[], datetime],
    ) -> None:
        # The bot uses no voice: discord.py's warnings about voice libraries are noise.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=COMMAND_PREFIX,
            intents=bot_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self.matcher = PhraseMatcher(settings.lead_phrases)
        self.history = history
        self.summary_api = summary_api
        self.agents = agents
        self.clock = clock
        self.crm = Crm(
            pool,
            matcher=self.matcher,
            history=history,
            clock=clock,
            history_cap=settings.summary_cap,
        )
        self._owned_pool: asyncpg.Pool | None = None

    async def setup_hook(self) -> None:
        """Create the CRM's pool (unless given) and add the cogs."""
        if self.crm.pool is None and self.settings.database_url is not None:
            url = libpq_url(self.settings.database_url.get_secret_value())
            self._owned_pool = await asyncpg.create_pool(
                url, min_size=0, max_size=4, timeout=10, command_timeout=30
            )
            self.crm.pool = self._owned_pool
        if self.crm.pool is None:
            logger.warning("crm_disabled reason=no-DATABASE_URL (members and leads not recorded)")
        for cog in COGS:
            await self.add_cog(cog(self))

    async def close(self) -> None:
        """Stop the bot, then close the pool it created."""
        if self.crm.pending:
            logger.warning(
                "leads_pending_at_shutdown count=%s messages=%s (the next start's catch-up"
                " reads the last 24 hours again)",
                len(self.crm.pending),
                sorted(self.crm.pending),
            )
        try:
            await super().close()
        finally:
            if self._owned_pool is not None:
                await self._owned_pool.close()
                self._owned_pool = None

    async def on_error(self, event_method: str, /, *args: object, **kwargs: object) -> None:
        """An event handler raised: logged, and the bot carries on."""
        logger.exception("handler_failed event=%s", event_method)

    async def on_command_error(
        self, context: commands.Context[Any], exception: commands.CommandError, /
    ) -> None:
        """A command failed: usage errors are told to the user briefly, the rest logged."""
        if isinstance(exception, commands.CommandNotFound):
            return
        if isinstance(exception, commands.MaxConcurrencyReached):
            busy = "That is already running for this server; try again when it is done."
            await context.send(busy, allowed_mentions=discord.AllowedMentions.none())
            return
        if isinstance(exception, commands.UserInputError | commands.CheckFailure):
            reply = str(exception)[:300]
            if isinstance(exception, commands.UserInputError) and context.command is not None:
                usage = f"{context.clean_prefix}{context.command.qualified_name}"
                reply += f" (usage: `{usage} {context.command.signature}`)"
            await context.send(reply, allowed_mentions=discord.AllowedMentions.none())
            return
        logger.error(
            "command_failed command=%s",
            context.command.qualified_name if context.command else None,
            exc_info=exception,
        )


def create_bot(
    settings: CommunitySettings | None = None,
    *,
    pool: asyncpg.Pool | None = None,
    history: HistorySource = channel_history,
    summary_api: Callable[[], SummaryApi] = load_summary_api,
    agents: AgentSettings | None = None,
    clock: Callable[[], datetime] = _now,
) -> CommunityBot:
    """The community bot, configured from ``settings`` (default: the environment).

    ``pool``: the CRM's connections (default: created in ``setup_hook`` from
    ``DATABASE_URL``); ``history``: how a channel's messages are read, newest first;
    ``summary_api``: the summariser (default: :mod:`backbone.community.summary`);
    ``agents``: its engine (default: ``BACKBONE_LLM_*`` at each summary); ``clock``: the
    time, timezone-aware.
    """
    return CommunityBot(
        settings or get_settings(),
        pool=pool,
        history=history,
        summary_api=summary_api,
        agents=agents,
        clock=clock,
    )


async def start_bot(bot: CommunityBot, token: str) -> None:
    """Log in, sync the slash commands, and run until closed; :class:`BotStartError` with
    what to do if Discord refuses the token or the privileged intents, or is out of reach."""
    try:
        async with bot:
            await bot.login(token)
            await _sync_commands(bot)
            await bot.connect()
    except discord.LoginFailure:
        raise BotStartError(LOGIN_REFUSED) from None
    except discord.PrivilegedIntentsRequired:
        raise BotStartError(INTENTS_HELP) from None
    except (aiohttp.ClientError, OSError) as exc:
        # Once connected, discord.py reconnects by itself: this is login, or giving up.
        raise BotStartError(f"cannot reach Discord (check the network): {exc}") from None


async def _sync_commands(bot: CommunityBot) -> None:
    """Publish ``/summarize-day``; a failure leaves the prefix command working (logged)."""
    try:
        synced = await bot.tree.sync()
    except discord.HTTPException as exc:
        logger.warning("slash_commands_not_synced status=%s error=%r", exc.status, exc.text)
        return
    logger.info("slash_commands_synced count=%s", len(synced))


def invite_permissions(settings: CommunitySettings) -> discord.Permissions:
    """What the bot needs: see channels, send, read history, embed links; Manage Roles
    only when hot leads get a role."""
    permissions = discord.Permissions(
        view_channel=True, send_messages=True, read_message_history=True, embed_links=True
    )
    if settings.lead_role is not None:
        permissions.manage_roles = True
    return permissions


def invite_url(client_id: int, settings: CommunitySettings) -> str:
    """The OAuth2 URL that adds the bot (and its slash command) with those permissions."""
    return discord.utils.oauth_url(
        client_id,
        permissions=invite_permissions(settings),
        scopes=("bot", "applications.commands"),
    )
