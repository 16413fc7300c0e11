"""The store's reads and writes for the bot's reconciler and day summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from backbone.community.store import (
    GuildLead,
    insert_missing_members,
    lead_events_since,
    list_members,
    record_lead,
    upsert_member,
)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GUILD = 900_000_000_000_000_002


async def test_insert_missing_members_creates_only_what_is_missing(
    conn: asyncpg.Connection,
) -> None:
    """Known rows keep their name and times; the unknown are created; the count says how
    many; nothing to insert is no statement at all."""
    known = await upsert_member(
        conn, guild_id=GUILD, user_id=1, display_name="Ada", joined_at=T0, seen_at=T0
    )
    later = T0 + timedelta(hours=1)
    created = await insert_missing_members(
        conn,
        guild_id=GUILD,
        members=[(1, "Ada renamed", later), (2, "Grace", T0), (3, "Linus", None)],
        seen_at=later,
    )
    assert created == 2
    rows, total = await list_members(conn, guild_id=GUILD, limit=10)
    assert total == 3
    by_user = {row.user_id: row for row in rows}
    assert by_user[1] == known
    assert (by_user[2].display_name, by_user[2].joined_at) == ("Grace", T0)
    assert (by_user[3].joined_at, by_user[3].first_seen_at) == (None, later)
    assert await insert_missing_members(conn, guild_id=GUILD, members=[], seen_at=later) == 0


async def test_lead_events_since_lists_the_servers_recent_leads(conn: asyncpg.Connection) -> None:
    """Only this server's events at or after the time, oldest first, with the member's name."""
    for user, message, at, guild in (
        (1, 10, T0 - timedelta(hours=25), GUILD),
        (1, 11, T0 + timedelta(minutes=5), GUILD),
        (2, 12, T0, GUILD),
        (3, 13, T0, GUILD + 1),
    ):
        await record_lead(
            conn,
            guild_id=guild,
            user_id=user,
            display_name=f"user{user}",
            message_id=message,
            channel_id=77,
            phrase="pricing",
            excerpt=f"message {message}",
            at=at,
        )
    leads = await lead_events_since(conn, guild_id=GUILD, since=T0 - timedelta(hours=24))
    assert leads == [
        GuildLead(2, "user2", "pricing", "message 12", T0),
        GuildLead(1, "user1", "pricing", "message 11", T0 + timedelta(minutes=5)),
    ]
    assert len(await lead_events_since(conn, guild_id=GUILD, since=T0, limit=1)) == 1
