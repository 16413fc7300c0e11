"""The bot's welcome in a simulated server: the text, who it may ping, bots, and a
welcome channel that is missing or closed."""

from __future__ import annotations

import logging

import discord
import discord.ext.test as dpytest
import pytest

from tests.unit.community._server import settings, simulated_server


async def test_a_join_is_welcomed_pinging_only_that_member(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The welcome goes to #introductions, mentions the member, and may ping only them:
    no @everyone, no roles, no other user, whatever their name says."""
    async with simulated_server(monkeypatch) as server:
        member = await server.join("@everyone <@&1> **Ada**")
        (payload,) = server.messages_in("introductions")
        assert payload["content"].startswith(f"Welcome to Test Server, {member.mention}!")
        assert "@\u200beveryone" in payload["content"]
        assert "\\*\\*Ada\\*\\*" in payload["content"]
        assert payload["allowed_mentions"] == {"parse": [], "users": [member.id]}
        sent = dpytest.get_message()
        assert sent.channel == server.channel("introductions")
        assert server.bot.allowed_mentions is not None
        assert server.bot.allowed_mentions.everyone is False


async def test_the_welcome_follows_the_configured_template_and_channel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A template and a welcome channel given by id."""
    async with simulated_server(monkeypatch) as server:
        random = server.channel("random")
        server.bot.settings = settings(
            welcome_channel=str(random.id), welcome_template="Hi {name} ({member_count})"
        )
        await server.join("Grace")
        assert [p["content"] for p in server.messages_in("random")] == [
            f"Hi Grace ({server.guild.member_count})"
        ]
        assert server.messages_in("introductions") == []


async def test_bots_are_not_welcomed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bot joining gets no welcome."""
    async with simulated_server(monkeypatch) as server:
        await server.join("helper-bot", bot=True)
        assert server.sent == []


async def test_a_missing_welcome_channel_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """No such channel: nothing sent, a warning naming it, no handler error."""
    async with simulated_server(monkeypatch, settings(welcome_channel="nowhere")) as server:
        with caplog.at_level(logging.WARNING):
            await server.join("Grace")
        assert server.sent == []
        assert "welcome_channel_missing" in caplog.text
        assert "nowhere" in caplog.text
        assert "handler_failed" not in caplog.text


async def test_a_welcome_channel_closed_to_the_bot_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Send Messages denied: the refusal is logged, the bot carries on."""
    async with simulated_server(monkeypatch) as server:
        closed = discord.PermissionOverwrite(send_messages=False)
        await dpytest.set_permission_overrides(
            server.guild.default_role, server.channel("introductions"), closed
        )
        assert not server.channel("introductions").permissions_for(server.guild.me).send_messages
        with caplog.at_level(logging.WARNING):
            await server.join("Grace")
        assert "welcome_not_sent" in caplog.text
        assert "status=403" in caplog.text
        assert "handler_failed" not in caplog.text
