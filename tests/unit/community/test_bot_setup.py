"""create_bot: intents, mentions off by default, the cogs, the pool it owns, the
reconciler's schedule, and handler errors logged rather than raised."""

from __future__ import annotations

import logging
from typing import Any

import discord
import pytest

from backbone.community.bot import COMMAND_PREFIX, create_bot
from backbone.community.cogs import ReconcileCog
from backbone.community.config import get_settings
from tests.unit.community._server import settings, simulated_server


def test_the_bot_asks_for_the_privileged_intents_and_pings_nobody() -> None:
    """Default intents plus members and message content; no mention allowed by default."""
    bot = create_bot(settings())
    expected = discord.Intents.default()
    expected.members = True
    expected.message_content = True
    assert bot.intents == expected
    assert not bot.intents.presences
    mentions = bot.allowed_mentions
    assert mentions is not None
    assert mentions.to_dict() == {"parse": []}
    assert bot.command_prefix == COMMAND_PREFIX == "!"


def test_settings_default_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without settings, the bot reads get_settings() (the environment)."""
    monkeypatch.setenv("BACKBONE_COMMUNITY_WELCOME_CHANNEL", "hello")
    get_settings.cache_clear()
    try:
        assert create_bot().settings.welcome_channel == "hello"
    finally:
        get_settings.cache_clear()


async def test_setup_hook_adds_one_cog_per_concern(monkeypatch: pytest.MonkeyPatch) -> None:
    """Welcome, Leads, Summary and Reconcile; the summary command with them."""
    async with simulated_server(monkeypatch) as server:
        assert sorted(server.bot.cogs) == ["Leads", "Reconcile", "Summary", "Welcome"]
        assert server.bot.get_command("summarize-day") is not None


async def test_the_pool_is_created_lazily_and_closed_with_the_bot() -> None:
    """DATABASE_URL set: setup_hook makes a pool without connecting (the database may be
    down), and close() closes it; an injected pool is left open."""
    bot = create_bot(settings(database_url="postgresql://postgres@127.0.0.1:1/none"))
    await bot._async_setup_hook()
    await bot.setup_hook()
    pool: Any = bot.crm.pool
    assert pool is not None
    assert not pool.is_closing()
    await bot.close()
    assert pool.is_closing()

    class Injected:
        closed = False

        async def close(self) -> None:
            self.closed = True

    given: Any = Injected()
    other = create_bot(settings(database_url="postgresql://postgres@127.0.0.1:1/none"), pool=given)
    await other._async_setup_hook()
    await other.setup_hook()
    assert other.crm.pool is given
    await other.close()
    assert given.closed is False


async def test_the_reconciler_runs_on_its_interval_until_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The loop is scheduled at the configured interval and stopped with the bot."""
    configured = settings(reconcile_interval_seconds=60)
    async with simulated_server(monkeypatch, configured) as server:
        cog = server.bot.get_cog("Reconcile")
        assert isinstance(cog, ReconcileCog)
        assert cog.rounds.seconds == 60
        assert cog.rounds.is_running()
    assert not cog.rounds.is_running()


async def test_a_failing_round_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Anything a reconciliation round raises is logged; the schedule goes on."""
    async with simulated_server(monkeypatch) as server:

        async def broken(guild: discord.Guild) -> int:
            raise RuntimeError("surprise")

        monkeypatch.setattr(server.bot.crm, "reconcile_members", broken)
        cog = server.bot.get_cog("Reconcile")
        assert isinstance(cog, ReconcileCog)
        await cog.reconcile()
        assert "reconcile_round_failed" in caplog.text


async def test_a_handler_error_is_logged_and_the_bot_carries_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler raising is logged by on_error; the next join is still welcomed."""
    async with simulated_server(monkeypatch) as server:
        real = server.bot.crm.member_joined

        async def broken(member: discord.Member) -> bool:
            raise RuntimeError("surprise")

        monkeypatch.setattr(server.bot.crm, "member_joined", broken)
        with caplog.at_level(logging.ERROR):
            await server.join("Grace")
        assert "handler_failed event=on_member_join" in caplog.text
        monkeypatch.setattr(server.bot.crm, "member_joined", real)
        await server.join("Linus")
        assert len(server.messages_in("introductions")) == 2


def test_the_package_offers_create_bot_lazily() -> None:
    """``backbone.community.create_bot`` is the bot's factory, imported on first use (the
    package itself does not import discord.py: test_package)."""
    import backbone.community
    from backbone.community import bot

    assert "create_bot" in backbone.community.__all__
    assert backbone.community.create_bot is bot.create_bot
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = backbone.community.no_such_name  # type: ignore[attr-defined]


async def test_leads_still_pending_at_shutdown_are_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Closing with failed lead writes pending says which, and that the next start's
    catch-up reads them again if they are under 24 hours old."""
    async with simulated_server(monkeypatch) as server:
        message = await server.say("hi", channel="general-chat", member=server.member("alice"))
        server.bot.crm._remember(message, OSError("down"))
    assert f"leads_pending_at_shutdown count=1 messages=[{message.id}]" in caplog.text


def test_no_warning_about_voice_libraries(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot uses no voice: discord.py's start-up warnings about PyNaCl and davey, which
    would send an operator looking for a missing library, are not logged."""
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.WARNING, logger="discord"):
        create_bot(settings())
    assert "voice will NOT be supported" not in caplog.text
