"""The CRM's reads and writes: asyncpg, one statement per rule, on a connection or a pool.

Each write is a single ``INSERT ... ON CONFLICT`` (or one short transaction), so a join,
a lead and a reconciliation racing each other — or two bot processes — leave one member
row and count each message once; the unique constraints of :mod:`.models` decide.

What an upsert keeps when a member is seen again (a sighting, a rejoin, a late
reconciliation):

- ``first_seen_at``: the earliest sighting ever, so it survives leaving and rejoining;
- ``joined_at``: the *current* membership's start, so a rejoin sets it anew (Discord's
  own ``Member.joined_at`` means the same); it never moves back, and an unknown join
  (``None``) keeps the known one;
- ``last_seen_at``: the latest sighting; it never moves back either;
- ``display_name``: the newest written; ``status`` and ``lead_score`` are untouched (a
  hot lead who rejoins is still one).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

from backbone.community.models import EXCERPT_MAX, MemberStatus

__all__ = [
    "GuildLead",
    "LeadEventRow",
    "MemberRow",
    "get_member",
    "insert_missing_members",
    "iter_members",
    "lead_events_since",
    "list_members",
    "member_detail",
    "record_lead",
    "upsert_member",
]

Executor: TypeAlias = asyncpg.Connection | asyncpg.Pool
"""Where a query runs: one connection, or any of a pool's."""

_MEMBER_COLUMNS = (
    "id, guild_id, user_id, display_name, joined_at, status, lead_score,"
    " first_seen_at, last_seen_at"
)
_UPSERT = """
INSERT INTO community_members AS m
    (guild_id, user_id, display_name, joined_at, status, lead_score,
     first_seen_at, last_seen_at)
VALUES ($1, $2, $3, $4, 'member', 0, $5, $5)
ON CONFLICT (guild_id, user_id) DO UPDATE SET
    display_name = EXCLUDED.display_name,
    joined_at = GREATEST(m.joined_at, EXCLUDED.joined_at),
    first_seen_at = LEAST(m.first_seen_at, EXCLUDED.first_seen_at),
    last_seen_at = GREATEST(m.last_seen_at, EXCLUDED.last_seen_at)
RETURNING id, guild_id, user_id, display_name, joined_at, status, lead_score,
    first_seen_at, last_seen_at
"""
# A lead's author may be unknown (joined before the bot): created then, join unknown.
# DO UPDATE rather than DO NOTHING so the id always comes back in one round trip.
_LEAD_MEMBER = """
INSERT INTO community_members AS m
    (guild_id, user_id, display_name, joined_at, status, lead_score,
     first_seen_at, last_seen_at)
VALUES ($1, $2, $3, NULL, 'member', 0, $4, $4)
ON CONFLICT (guild_id, user_id) DO UPDATE SET display_name = EXCLUDED.display_name
RETURNING id
"""
_EVENT = """
INSERT INTO community_lead_events (member_id, message_id, channel_id, phrase, excerpt, at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (message_id) DO NOTHING
RETURNING id
"""
_COUNT_LEAD = """
UPDATE community_members
SET status = 'hot-lead', lead_score = lead_score + 1,
    last_seen_at = GREATEST(last_seen_at, $2)
WHERE id = $1
"""
_GET_MEMBER = """
SELECT id, guild_id, user_id, display_name, joined_at, status, lead_score,
    first_seen_at, last_seen_at
FROM community_members WHERE id = $1
"""
_GET_EVENTS = """
SELECT id, member_id, message_id, channel_id, phrase, excerpt, at
FROM community_lead_events WHERE member_id = $1 ORDER BY at DESC, id DESC
"""


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member as the CRM records them (see :class:`~.models.CommunityMember`)."""

    id: int
    guild_id: int
    user_id: int
    display_name: str
    joined_at: datetime | None
    status: MemberStatus
    lead_score: int
    first_seen_at: datetime
    last_seen_at: datetime

    @classmethod
    def of(cls, record: Any) -> MemberRow:
        """The row of an asyncpg record with the members' columns."""
        fields = dict(record)
        fields["status"] = MemberStatus(fields["status"])
        return cls(**fields)


@dataclass(frozen=True, slots=True)
class LeadEventRow:
    """A message that made its author a lead (see :class:`~.models.LeadEvent`)."""

    id: int
    member_id: int
    message_id: int
    channel_id: int
    phrase: str
    excerpt: str
    at: datetime


@contextlib.asynccontextmanager
async def _connection(conn: Executor) -> AsyncIterator[asyncpg.Connection]:
    """``conn`` itself, or one of the pool's connections for the block."""
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as acquired:
            yield acquired
    else:
        yield conn


async def upsert_member(
    conn: Executor,
    *,
    guild_id: int,
    user_id: int,
    display_name: str,
    joined_at: datetime | None,
    seen_at: datetime,
) -> MemberRow:
    """Create the member or update their row (one statement); the module's docstring
    says which columns a second sighting keeps."""
    record = await conn.fetchrow(_UPSERT, guild_id, user_id, display_name, joined_at, seen_at)
    return MemberRow.of(record)


async def record_lead(
    conn: Executor,
    *,
    guild_id: int,
    user_id: int,
    display_name: str,
    message_id: int,
    channel_id: int,
    phrase: str,
    excerpt: str,
    at: datetime,
) -> bool:
    """Record that a message made its author a hot lead; False if it was already counted.

    One transaction: the author is created if unknown, the event is inserted unless the
    message has one, and only a new event flags the member, adds one to their score and
    moves ``last_seen_at``. An excerpt longer than :data:`~.models.EXCERPT_MAX` is cut.
    """
    async with _connection(conn) as connection, connection.transaction():
        member_id = await connection.fetchval(_LEAD_MEMBER, guild_id, user_id, display_name, at)
        event_id = await connection.fetchval(
            _EVENT, member_id, message_id, channel_id, phrase, excerpt[:EXCERPT_MAX], at
        )
        if event_id is None:
            return False
        await connection.execute(_COUNT_LEAD, member_id, at)
        return True


def _member_filter(guild_id: int | None, status: MemberStatus | None) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    arguments: list[Any] = []
    if guild_id is not None:
        arguments.append(guild_id)
        conditions.append(f"guild_id = ${len(arguments)}")
    if status is not None:
        arguments.append(str(status))
        conditions.append(f"status = ${len(arguments)}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return where, arguments


async def list_members(
    conn: Executor,
    *,
    guild_id: int | None = None,
    status: MemberStatus | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[list[MemberRow], int]:
    """A page of members, most recently seen first, and how many match in all."""
    # Only fixed fragments go into the text (values are bound), so each filter gets a
    # plan that can use its index rather than one generic "$1 IS NULL OR ..." plan.
    where, arguments = _member_filter(guild_id, status)
    n = len(arguments)
    page = (
        f"SELECT {_MEMBER_COLUMNS} FROM community_members{where}"  # noqa: S608 - fixed fragments
        f" ORDER BY last_seen_at DESC, id DESC LIMIT ${n + 1} OFFSET ${n + 2}"
    )
    count = f"SELECT count(*) FROM community_members{where}"  # noqa: S608 - fixed fragments
    async with _connection(conn) as connection:
        records = await connection.fetch(page, *arguments, limit, offset)
        total = await connection.fetchval(count, *arguments)
    return [MemberRow.of(record) for record in records], int(total)


async def get_member(conn: Executor, member_id: int) -> tuple[MemberRow, list[LeadEventRow]] | None:
    """The member with this id and their lead events (newest first), or None."""
    async with _connection(conn) as connection:
        record = await connection.fetchrow(_GET_MEMBER, member_id)
        if record is None:
            return None
        events = await connection.fetch(_GET_EVENTS, member_id)
    return MemberRow.of(record), [LeadEventRow(**dict(event)) for event in events]


# -- the CRM API's reads (appended for the read-only HTTP API)

EXPORT_BATCH = 500
"""Members read per query by :func:`iter_members`."""
_GET_RECENT_EVENTS = """
SELECT id, member_id, message_id, channel_id, phrase, excerpt, at
FROM community_lead_events WHERE member_id = $1 ORDER BY at DESC, id DESC LIMIT $2
"""
_COUNT_EVENTS = "SELECT count(*) FROM community_lead_events WHERE member_id = $1"


async def iter_members(
    conn: Executor,
    *,
    guild_id: int | None = None,
    status: MemberStatus | None = None,
    batch_size: int = EXPORT_BATCH,
) -> AsyncIterator[list[MemberRow]]:
    """Every matching member in batches of at most ``batch_size``, by ``id`` (the order
    the CRM first recorded them).

    Each batch is one query after the last id seen (keyset), a pool's connection held only
    for it: the table is never in memory at once, and a row whose ``last_seen_at`` changes
    meanwhile is still read exactly once.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    where, arguments = _member_filter(guild_id, status)
    n = len(arguments)
    after = f"id > ${n + 1}"
    where = f"{where} AND {after}" if where else f" WHERE {after}"
    query = (
        f"SELECT {_MEMBER_COLUMNS} FROM community_members{where}"  # noqa: S608 - fixed fragments
        f" ORDER BY id LIMIT ${n + 2}"
    )
    last = 0
    while True:
        records = await conn.fetch(query, *arguments, last, batch_size)
        if not records:
            return
        batch = [MemberRow.of(record) for record in records]
        yield batch
        if len(batch) < batch_size:
            return
        last = batch[-1].id


async def member_detail(
    conn: Executor, member_id: int, *, events: int
) -> tuple[MemberRow, list[LeadEventRow], int] | None:
    """The member with this id, their newest ``events`` lead events (newest first) and how
    many they have in all; None for an unknown id."""
    async with _connection(conn) as connection:
        record = await connection.fetchrow(_GET_MEMBER, member_id)
        if record is None:
            return None
        rows = await connection.fetch(_GET_RECENT_EVENTS, member_id, events)
        total = await connection.fetchval(_COUNT_EVENTS, member_id)
    return MemberRow.of(record), [LeadEventRow(**dict(row)) for row in rows], int(total)


# -- what the bot's reconciler and its day summary need

_INSERT_MISSING = """
INSERT INTO community_members
    (guild_id, user_id, display_name, joined_at, status, lead_score,
     first_seen_at, last_seen_at)
SELECT $1, u.user_id, u.display_name, u.joined_at, 'member', 0, $5, $5
FROM unnest($2::bigint[], $3::text[], $4::timestamptz[]) AS u(user_id, display_name, joined_at)
ON CONFLICT (guild_id, user_id) DO NOTHING
"""
_LEADS_SINCE = """
SELECT m.user_id, m.display_name, e.phrase, e.excerpt, e.at
FROM community_lead_events AS e JOIN community_members AS m ON m.id = e.member_id
WHERE m.guild_id = $1 AND e.at >= $2
ORDER BY e.at, e.id
LIMIT $3
"""


@dataclass(frozen=True, slots=True)
class GuildLead:
    """One lead event of a server with its member's ids and name (a day summary's line)."""

    user_id: int
    display_name: str
    phrase: str
    excerpt: str
    at: datetime


async def insert_missing_members(
    conn: Executor,
    *,
    guild_id: int,
    members: Sequence[tuple[int, str, datetime | None]],
    seen_at: datetime,
) -> int:
    """Create the rows of the ``(user_id, display_name, joined_at)`` members the table does
    not have (one statement); rows that exist are left as they are. How many were created."""
    if not members:
        return 0
    user_ids, names, joins = (list(column) for column in zip(*members, strict=True))
    status = await conn.execute(_INSERT_MISSING, guild_id, user_ids, names, joins, seen_at)
    # asyncpg returns the command tag, "INSERT 0 <rows>".
    return int(status.rsplit(" ", 1)[-1])


async def lead_events_since(
    conn: Executor, *, guild_id: int, since: datetime, limit: int = 100
) -> list[GuildLead]:
    """The server's lead events at or after ``since``, oldest first, at most ``limit``."""
    records = await conn.fetch(_LEADS_SINCE, guild_id, since, limit)
    return [GuildLead(**dict(record)) for record in records]
