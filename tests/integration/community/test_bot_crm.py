"""The bot against real PostgreSQL in a simulated server: joins and rejoins make one row,
leads are counted once per message, and nothing is lost when the database is down."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import discord.ext.test as dpytest
import pytest

from backbone.community.cogs import ReconcileCog
from backbone.community.models import MemberStatus
from backbone.community.store import MemberRow, get_member, list_members
from backbone.core.db import libpq_url
from tests.unit.community._server import Server, settings, simulated_server

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(migrated_database: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool to the migrated database, closed after the test."""
    created = await asyncpg.create_pool(libpq_url(migrated_database), min_size=0, max_size=2)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
def down_database_url() -> str:
    """A PostgreSQL URL on a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://postgres@127.0.0.1:{port}/down"


async def _members(pool: asyncpg.Pool, server: Server) -> dict[int, MemberRow]:
    rows, _ = await list_members(pool, guild_id=server.guild.id, limit=100)
    return {row.user_id: row for row in rows}


async def _reconcile(server: Server) -> None:
    cog = server.bot.get_cog("Reconcile")
    assert isinstance(cog, ReconcileCog)
    await cog.reconcile()


async def test_a_join_writes_the_row_and_a_rejoin_keeps_it(
    monkeypatch: pytest.MonkeyPatch, migrated_database: str, pool: asyncpg.Pool
) -> None:
    """The bot's own pool (from DATABASE_URL) records the member; leaving and rejoining
    is the same row; bots are not recorded."""
    configured = settings(database_url=migrated_database)
    async with simulated_server(monkeypatch, configured) as server:
        member = await server.join("Grace")
        await server.join("helper-bot", bot=True)
        (row,) = (await _members(pool, server)).values()
        assert (row.user_id, row.display_name, row.status) == (
            member.id,
            "Grace",
            MemberStatus.MEMBER,
        )
        dpytest.backend.delete_member(member)
        await dpytest.member_join(0, member._user)
        await dpytest.run_all_events()
        rows = await _members(pool, server)
        assert list(rows) == [member.id]
        assert rows[member.id].id == row.id
        assert len(server.messages_in("introductions")) == 2


async def test_a_lead_is_counted_once_and_creates_an_unknown_member(
    monkeypatch: pytest.MonkeyPatch, pool: asyncpg.Pool
) -> None:
    """alice was there before the bot: her lead creates her row as a hot lead; the same
    message delivered twice counts once; a second message counts again."""
    async with simulated_server(monkeypatch, pool=pool) as server:
        alice = server.member("alice")
        message = await server.say("How do I sign-up?", channel="general-chat", member=alice)
        server.bot.dispatch("message", message)
        await dpytest.run_all_events()
        row = (await _members(pool, server))[alice.id]
        assert (row.status, row.lead_score, row.joined_at) == (
            MemberStatus.HOT_LEAD,
            1,
            None,
        )
        found = await get_member(pool, row.id)
        assert found is not None
        (event,) = found[1]
        assert (event.message_id, event.phrase, event.excerpt) == (
            message.id,
            "sign up",
            "How do I sign-up?",
        )
        await server.say("and the pricing?", channel="product-questions", member=alice)
        assert (await _members(pool, server))[alice.id].lead_score == 2


async def test_the_database_down_at_a_join_then_reconciled(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    down_database_url: str,
    pool: asyncpg.Pool,
) -> None:
    """Down: the welcome still goes out, the failure is logged, nothing escapes. Then a
    reconciliation with the database back creates the row (and alice's and bob's)."""
    async with simulated_server(monkeypatch, settings(database_url=down_database_url)) as server:
        with caplog.at_level(logging.WARNING):
            member = await server.join("Grace")
        assert len(server.messages_in("introductions")) == 1
        assert "member_write_failed" in caplog.text
        assert "handler_failed" not in caplog.text
        assert await _members(pool, server) == {}
        await _reconcile(server)  # still down: logged, nothing raised
        assert "reconcile_failed" in caplog.text
        server.bot.crm.pool = pool
        await _reconcile(server)
        rows = await _members(pool, server)
        expected = {member.id, server.member("alice").id, server.member("bob").id}
        assert set(rows) == expected
        assert rows[member.id].joined_at == member.joined_at


async def test_a_lead_write_that_failed_is_retried_from_the_history(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    down_database_url: str,
    pool: asyncpg.Pool,
) -> None:
    """Down at the message: logged and kept; the next round reads the channel's history
    and records it, once."""
    async with simulated_server(monkeypatch, settings(database_url=down_database_url)) as server:
        alice = server.member("alice")
        with caplog.at_level(logging.WARNING):
            message = await server.say("pricing?", channel="general-chat", member=alice)
        assert "lead_write_failed" in caplog.text
        assert list(server.bot.crm.pending) == [message.id]
        server.bot.crm.pool = pool
        await _reconcile(server)
        assert server.bot.crm.pending == {}
        row = (await _members(pool, server))[alice.id]
        assert (row.status, row.lead_score) == (MemberStatus.HOT_LEAD, 1)


async def test_a_failed_lead_gone_from_the_history_is_logged_as_lost(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    down_database_url: str,
    pool: asyncpg.Pool,
) -> None:
    """A pending lead whose message is no longer in the last 24 hours: logged as lost,
    forgotten, nothing written."""
    async with simulated_server(monkeypatch, settings(database_url=down_database_url)) as server:
        alice = server.member("alice")
        message = await server.say("pricing?", channel="general-chat", member=alice)
        later = message.created_at + timedelta(hours=25)
        server.bot.crm.clock = lambda: later
        server.bot.crm.pool = pool
        with caplog.at_level(logging.ERROR):
            await _reconcile(server)
        assert f"lead_lost message={message.id}" in caplog.text
        assert "not-in-recent-history" in caplog.text
        assert server.bot.crm.pending == {}
        rows = await _members(pool, server)
        assert alice.id not in rows or rows[alice.id].lead_score == 0


async def test_the_first_round_catches_up_on_leads_the_bot_did_not_see(
    monkeypatch: pytest.MonkeyPatch, pool: asyncpg.Pool
) -> None:
    """Leads posted while the bot was away (its lead watcher removed here) are recorded by
    the start-up round from the last 24 hours of each lead channel; bots' messages and
    other channels are not; later rounds do not read the channels again."""
    async with simulated_server(monkeypatch, pool=pool) as server:
        await server.bot.remove_cog("Leads")
        alice, bob = server.member("alice"), server.member("bob")
        helper = await server.join("helper-bot", bot=True)
        await server.say("pricing?", channel="general-chat", member=alice)
        await server.say("a free trial?", channel="product-questions", member=bob)
        await server.say("pricing?", channel="general-chat", member=helper)
        await server.say("pricing?", channel="random", member=bob)
        await _reconcile(server)
        rows = await _members(pool, server)
        assert (rows[alice.id].lead_score, rows[bob.id].lead_score) == (1, 1)
        assert helper.id not in rows
        reads = list(server.reads)
        assert sorted(reads) == sorted(
            [server.channel("general-chat").id, server.channel("product-questions").id]
        )
        await _reconcile(server)
        assert server.reads == reads
        assert (await _members(pool, server))[alice.id].lead_score == 1
