"""The store's reads for the CRM API: every member in batches, a member's newest events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from backbone.community.models import MemberStatus
from backbone.community.store import (
    iter_members,
    member_detail,
    record_lead,
    upsert_member,
)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GUILD = 900_000_000_000_000_001


async def _members(conn: asyncpg.Connection, count: int, *, guild: int = GUILD) -> list[int]:
    ids = []
    for user in range(count):
        row = await upsert_member(
            conn,
            guild_id=guild,
            user_id=1000 + user,
            display_name=f"m{user}",
            joined_at=T0,
            seen_at=T0 + timedelta(minutes=user),
        )
        ids.append(row.id)
    return ids


async def _lead(conn: asyncpg.Connection, *, user: int, message: int, at: datetime) -> None:
    await record_lead(
        conn,
        guild_id=GUILD,
        user_id=user,
        display_name=f"m{user}",
        message_id=message,
        channel_id=77,
        phrase="pricing",
        excerpt=f"message {message}",
        at=at,
    )


async def test_iter_members_reads_every_row_once_in_batches(conn: asyncpg.Connection) -> None:
    """Seven members in batches of three: 3, 3, 1, by id, each once."""
    ids = await _members(conn, 7)
    batches = [batch async for batch in iter_members(conn, batch_size=3)]
    assert [len(batch) for batch in batches] == [3, 3, 1]
    assert [row.id for batch in batches for row in batch] == sorted(ids)


async def test_iter_members_of_an_exact_multiple_ends(conn: asyncpg.Connection) -> None:
    """Six members in batches of three: two batches, then the end (an empty table: none)."""
    assert [batch async for batch in iter_members(conn, batch_size=3)] == []
    await _members(conn, 6)
    assert [len(b) async for b in iter_members(conn, batch_size=3)] == [3, 3]


async def test_iter_members_filters_by_status_and_server(conn: asyncpg.Connection) -> None:
    """The filters of the list: a status, a server, both."""
    await _members(conn, 3)
    await _members(conn, 2, guild=5)
    await _lead(conn, user=1001, message=1, at=T0)
    leads = [r async for b in iter_members(conn, status=MemberStatus.HOT_LEAD) for r in b]
    assert [row.user_id for row in leads] == [1001]
    other = [r async for b in iter_members(conn, guild_id=5, batch_size=1) for r in b]
    assert [row.guild_id for row in other] == [5, 5]
    both = iter_members(conn, guild_id=5, status=MemberStatus.HOT_LEAD)
    assert [b async for b in both] == []


async def test_iter_members_refuses_an_empty_batch(conn: asyncpg.Connection) -> None:
    """A batch size below one is a programming error, said at once."""
    with pytest.raises(ValueError, match="batch_size"):
        await anext(iter_members(conn, batch_size=0))


async def test_member_detail_bounds_the_events_and_counts_them(conn: asyncpg.Connection) -> None:
    """The newest events first, at most ``events`` of them, and the total beside them."""
    (member_id,) = await _members(conn, 1)
    for message in range(1, 6):
        await _lead(conn, user=1000, message=message, at=T0 + timedelta(hours=message))
    found = await member_detail(conn, member_id, events=2)
    assert found is not None
    member, events, total = found
    assert (member.id, member.lead_score, total) == (member_id, 5, 5)
    assert [event.message_id for event in events] == [5, 4]


async def test_member_detail_of_an_unknown_id_is_none(conn: asyncpg.Connection) -> None:
    """No row, no detail."""
    assert await member_detail(conn, 123456, events=10) is None
