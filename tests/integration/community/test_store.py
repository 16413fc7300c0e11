"""The CRM's store: members written once per server and user, leads counted once per
message, and the reads the CRM's API makes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from backbone.community.models import EXCERPT_MAX, MemberStatus
from backbone.community.store import (
    get_member,
    list_members,
    record_lead,
    upsert_member,
)
from backbone.core.db import libpq_url

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GUILD = 900_000_000_000_000_001


async def _lead(
    conn: asyncpg.Connection | asyncpg.Pool, *, user: int, message: int, at: datetime = T0
) -> bool:
    return await record_lead(
        conn,
        guild_id=GUILD,
        user_id=user,
        display_name=f"user{user}",
        message_id=message,
        channel_id=77,
        phrase="pricing",
        excerpt="what is the pricing?",
        at=at,
    )


async def test_upsert_creates_then_updates_the_same_row(conn: asyncpg.Connection) -> None:
    """A join creates the member; a later sighting keeps first_seen_at and joined_at,
    takes the new name, and moves last_seen_at on."""
    created = await upsert_member(
        conn, guild_id=GUILD, user_id=5, display_name="Ada", joined_at=T0, seen_at=T0
    )
    assert (created.status, created.lead_score) == (MemberStatus.MEMBER, 0)
    assert (created.joined_at, created.first_seen_at, created.last_seen_at) == (T0, T0, T0)
    later = T0 + timedelta(hours=3)
    updated = await upsert_member(
        conn, guild_id=GUILD, user_id=5, display_name="Ada L.", joined_at=T0, seen_at=later
    )
    assert updated.id == created.id
    assert updated.display_name == "Ada L."
    assert (updated.joined_at, updated.first_seen_at, updated.last_seen_at) == (T0, T0, later)


async def test_a_rejoin_is_the_same_row_with_the_new_join(conn: asyncpg.Connection) -> None:
    """Leaving and joining again keeps the row, its first sighting and its lead score;
    joined_at becomes the new join's time."""
    first = await upsert_member(
        conn, guild_id=GUILD, user_id=6, display_name="Bo", joined_at=T0, seen_at=T0
    )
    assert await _lead(conn, user=6, message=1)
    rejoined = T0 + timedelta(days=30)
    again = await upsert_member(
        conn, guild_id=GUILD, user_id=6, display_name="Bo", joined_at=rejoined, seen_at=rejoined
    )
    assert again.id == first.id
    assert (again.joined_at, again.first_seen_at) == (rejoined, T0)
    assert (again.status, again.lead_score) == (MemberStatus.HOT_LEAD, 1)


async def test_a_stale_sighting_moves_nothing_back(conn: asyncpg.Connection) -> None:
    """An older join or sighting (a late reconciliation) never moves joined_at or
    last_seen_at back; an unknown join keeps the known one."""
    later = T0 + timedelta(days=1)
    await upsert_member(
        conn, guild_id=GUILD, user_id=7, display_name="C", joined_at=later, seen_at=later
    )
    stale = await upsert_member(
        conn, guild_id=GUILD, user_id=7, display_name="C", joined_at=T0, seen_at=T0
    )
    assert (stale.joined_at, stale.first_seen_at, stale.last_seen_at) == (later, T0, later)
    unknown = await upsert_member(
        conn, guild_id=GUILD, user_id=7, display_name="C", joined_at=None, seen_at=T0
    )
    assert unknown.joined_at == later


async def test_the_same_user_in_two_servers_is_two_members(conn: asyncpg.Connection) -> None:
    """Members are unique per server, not per user."""
    one = await upsert_member(
        conn, guild_id=1, user_id=5, display_name="A", joined_at=T0, seen_at=T0
    )
    two = await upsert_member(
        conn, guild_id=2, user_id=5, display_name="A", joined_at=T0, seen_at=T0
    )
    assert one.id != two.id


async def test_a_lead_from_an_unknown_member_creates_them(conn: asyncpg.Connection) -> None:
    """A member who joined before the bot is created by their first lead, as a hot lead."""
    assert await _lead(conn, user=8, message=100)
    rows, total = await list_members(conn, limit=10)
    assert total == 1
    member = rows[0]
    assert (member.user_id, member.guild_id, member.display_name) == (8, GUILD, "user8")
    assert (member.status, member.lead_score, member.joined_at) == (MemberStatus.HOT_LEAD, 1, None)
    assert (member.first_seen_at, member.last_seen_at) == (T0, T0)


async def test_the_same_message_counts_once(conn: asyncpg.Connection) -> None:
    """A message recorded twice counts once; a second message counts again."""
    assert await _lead(conn, user=9, message=200)
    assert not await _lead(conn, user=9, message=200, at=T0 + timedelta(minutes=5))
    found = await get_member(conn, (await list_members(conn, limit=1))[0][0].id)
    assert found is not None
    member, events = found
    assert (member.lead_score, member.last_seen_at, len(events)) == (1, T0, 1)
    assert await _lead(conn, user=9, message=201, at=T0 + timedelta(minutes=9))
    member, events = await get_member(conn, member.id) or pytest.fail("member gone")
    assert (member.lead_score, member.last_seen_at) == (2, T0 + timedelta(minutes=9))


async def test_concurrent_records_of_one_message_count_once(migrated_database: str) -> None:
    """Five connections recording the same message at once: one event, score 1, one True."""
    pool = await asyncpg.create_pool(libpq_url(migrated_database), min_size=5, max_size=5)
    try:
        connections = [await pool.acquire() for _ in range(5)]
        try:
            counted = await asyncio.gather(
                *(_lead(c, user=10, message=300) for c in connections), return_exceptions=True
            )
        finally:
            for connection in connections:
                await pool.release(connection)
        assert sorted(map(repr, counted)) == ["False"] * 4 + ["True"]  # errors show as such
        rows, _ = await list_members(pool, limit=10)
        assert [(row.user_id, row.lead_score) for row in rows] == [(10, 1)]
        assert await pool.fetchval("SELECT count(*) FROM community_lead_events") == 1
    finally:
        await pool.close()


async def test_a_long_excerpt_is_cut(conn: asyncpg.Connection) -> None:
    """An excerpt longer than the column is cut to EXCERPT_MAX characters, not refused."""
    await record_lead(
        conn,
        guild_id=GUILD,
        user_id=11,
        display_name="D",
        message_id=400,
        channel_id=3,
        phrase="sign-up",
        excerpt="x" * 500,
        at=T0,
    )
    rows, _ = await list_members(conn, limit=1)
    _, events = await get_member(conn, rows[0].id) or pytest.fail("member gone")
    assert len(events[0].excerpt) == EXCERPT_MAX


async def test_list_filters_and_pages_newest_seen_first(conn: asyncpg.Connection) -> None:
    """Members come newest-seen first, filtered by server and status, paged with a total."""
    for user in range(1, 6):
        seen = T0 + timedelta(minutes=user)
        await upsert_member(
            conn, guild_id=GUILD, user_id=user, display_name=f"u{user}", joined_at=T0, seen_at=seen
        )
    await upsert_member(
        conn, guild_id=2, user_id=99, display_name="other", joined_at=T0, seen_at=T0
    )
    await _lead(conn, user=2, message=1, at=T0 + timedelta(minutes=2))
    await _lead(conn, user=4, message=2, at=T0 + timedelta(minutes=4))

    rows, total = await list_members(conn, guild_id=GUILD, limit=2, offset=1)
    assert ([row.user_id for row in rows], total) == ([4, 3], 5)
    rows, total = await list_members(conn, limit=10)
    assert ([row.user_id for row in rows], total) == ([5, 4, 3, 2, 1, 99], 6)
    rows, total = await list_members(conn, status=MemberStatus.HOT_LEAD, limit=10)
    assert ([row.user_id for row in rows], total) == ([4, 2], 2)
    rows, total = await list_members(conn, guild_id=2, status=MemberStatus.HOT_LEAD, limit=10)
    assert (rows, total) == ([], 0)
    rows, total = await list_members(conn, limit=10, offset=50)
    assert (rows, total) == ([], 6)


async def test_get_returns_the_member_with_events_newest_first(conn: asyncpg.Connection) -> None:
    """A member comes with their lead events, newest first; an unknown id is None."""
    await _lead(conn, user=12, message=500, at=T0)
    await _lead(conn, user=12, message=501, at=T0 + timedelta(hours=1))
    await _lead(conn, user=13, message=502, at=T0)
    rows, _ = await list_members(conn, limit=10)
    member_id = next(row.id for row in rows if row.user_id == 12)
    member, events = await get_member(conn, member_id) or pytest.fail("member gone")
    assert member.user_id == 12
    assert [(e.message_id, e.channel_id, e.phrase, e.at) for e in events] == [
        (501, 77, "pricing", T0 + timedelta(hours=1)),
        (500, 77, "pricing", T0),
    ]
    assert all(event.member_id == member_id for event in events)
    assert await get_member(conn, 10**12) is None
