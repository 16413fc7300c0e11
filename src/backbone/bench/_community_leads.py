"""The lead detector's throughput: messages per second through the phrase rules and the
CRM write, against the rules alone and against one bare ``INSERT`` per lead.

All three read the same day of chat (:mod:`backbone.bench._community_corpus`) on the
run's own database:

- **ours**: each message through the bot's own handler,
  :meth:`~backbone.community.cogs.leads.LeadsCog.on_message` of a bot from
  :func:`~backbone.community.create_bot` (the lead channel check, the phrase rules, the
  CRM write through its :class:`~backbone.community.reconcile.Crm`, the log line),
  ``concurrency`` messages at once (discord.py dispatches every event as a task of its
  own) over a pool the size of the bot's own (:data:`POOL_SIZE`). The messages are plain
  objects with the attributes the handler reads: no Discord gateway in between;
- **rules alone**: :meth:`PhraseMatcher.match` over every message, in one loop: the CPU
  ceiling, no database;
- **one INSERT per lead**: the same concurrency and pool, the rules alone on each message,
  and each lead written as one
  row of a table with no constraint: the floor of one write per lead, next to ours, which
  upserts the author, inserts the event unless the message has one, and flags the member
  in one transaction.

Then the ledger: one lead event per lead message in the table (lost 0), no other, and
the whole day fed through ours again adds nothing (each message counts once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import asyncpg
import discord

from backbone.bench._community_corpus import ChatLine
from backbone.community import CommunitySettings, create_bot
from backbone.community.cogs.leads import LeadsCog
from backbone.community.leads import PhraseMatcher

__all__ = ["GUILD_ID", "POOL_SIZE", "LeadLedger", "LeadRow", "measure_leads"]

GUILD_ID = 1_100_000_000_000_000_000
CHANNEL_ID = 1_100_000_000_000_000_001
CHANNEL = "general-chat"
POOL_SIZE = 4
"""The bot's own pool's size (:meth:`CommunityBot.setup_hook`)."""
_FLOOR_TABLE = "bench_floor_leads"
_FLOOR_CREATE = (
    f"CREATE TABLE {_FLOOR_TABLE} (message_id bigint, user_id bigint, phrase text,"
    " excerpt text, at timestamptz)"
)
_FLOOR_INSERT = f"INSERT INTO {_FLOOR_TABLE} VALUES ($1, $2, $3, $4, $5)"  # noqa: S608 - constant
_EVENTS = "SELECT count(*) FROM community_lead_events"
_LEDGER = """
SELECT
    (SELECT count(*) FROM community_lead_events),
    (SELECT count(DISTINCT message_id) FROM community_lead_events),
    (SELECT count(*) FROM community_members WHERE status = 'hot-lead'),
    (SELECT coalesce(sum(lead_score), 0) FROM community_members)
"""


@dataclass(frozen=True, slots=True)
class LeadRow:
    """One way through the day: messages, leads found, seconds."""

    label: str
    messages: int
    leads: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Messages per second."""
        return self.messages / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class LeadLedger:
    """What the table holds after ours, and what a second pass added."""

    expected: int
    events: int
    distinct_messages: int
    hot_leads: int
    score: int
    replay_added: int

    @property
    def lost(self) -> int:
        """Lead messages with no event."""
        return max(self.expected - self.distinct_messages, 0)

    @property
    def duplicated(self) -> int:
        """Events beyond one per message, and anything the replay counted again."""
        return self.events - self.distinct_messages + self.replay_added


async def _fan_out(
    lines: Sequence[ChatLine], concurrency: int, step: Callable[[ChatLine], Awaitable[bool]]
) -> tuple[int, float]:
    """``step`` over ``lines``, ``concurrency`` at a time: how many returned True, seconds."""
    queue: asyncio.Queue[ChatLine] = asyncio.Queue()
    for line in lines:
        queue.put_nowait(line)
    found = 0

    async def worker() -> None:
        nonlocal found
        while not queue.empty():
            if await step(queue.get_nowait()):
                found += 1

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
    return found, time.perf_counter() - started


def _rules_alone(lines: Sequence[ChatLine], matcher: PhraseMatcher) -> LeadRow:
    started = time.perf_counter()
    found = sum(1 for line in lines if matcher.match(line.content) is not None)
    return LeadRow(
        "phrase rules alone (no database)", len(lines), found, time.perf_counter() - started
    )


def _message(line: ChatLine, guild: SimpleNamespace, channel: SimpleNamespace) -> object:
    """What the lead handler reads of a ``discord.Message``, and nothing more."""
    author = SimpleNamespace(id=line.author_id, bot=False, display_name=line.author_name)
    return SimpleNamespace(
        id=line.message_id,
        content=line.content,
        created_at=line.created_at,
        guild=guild,
        channel=channel,
        author=author,
        webhook_id=None,
        type=discord.MessageType.default,
    )


def _ours(pool: asyncpg.Pool, rules: Sequence[str]) -> Callable[[ChatLine], Awaitable[bool]]:
    settings = CommunitySettings(lead_channels=[CHANNEL], lead_phrases=list(rules))
    cog = LeadsCog(create_bot(settings, pool=pool))
    guild = SimpleNamespace(id=GUILD_ID)
    channel = SimpleNamespace(id=CHANNEL_ID, name=CHANNEL)

    async def step(line: ChatLine) -> bool:
        await cog.on_message(_message(line, guild, channel))  # type: ignore[arg-type]
        return False  # what it found is counted in the table

    return step


def _floor(pool: asyncpg.Pool, matcher: PhraseMatcher) -> Callable[[ChatLine], Awaitable[bool]]:
    async def step(line: ChatLine) -> bool:
        match = matcher.match(line.content)
        if match is None:
            return False
        await pool.execute(
            _FLOOR_INSERT,
            line.message_id,
            line.author_id,
            match.rule,
            match.excerpt,
            line.created_at,
        )
        return True

    return step


async def measure_leads(
    database_url: str, lines: Sequence[ChatLine], *, concurrency: int, rules: Sequence[str]
) -> tuple[list[LeadRow], LeadLedger]:
    """The three rows (ours, rules alone, the floor) and ours' ledger."""
    matcher = PhraseMatcher(rules)
    pool = await asyncpg.create_pool(database_url, min_size=POOL_SIZE, max_size=POOL_SIZE)
    try:
        await pool.execute(_FLOOR_CREATE)
        _, seconds = await _fan_out(lines, concurrency, _ours(pool, rules))
        found = await pool.fetchval(_EVENTS)
        ours = LeadRow(
            f"the bot's lead handler + CRM write, {concurrency} at once", len(lines), found, seconds
        )
        alone = _rules_alone(lines, matcher)
        found, seconds = await _fan_out(lines, concurrency, _floor(pool, matcher))
        floor = LeadRow(
            f"rules + one INSERT per lead, {concurrency} at once", len(lines), found, seconds
        )
        before = await pool.fetchval(_EVENTS)
        await _fan_out(lines, concurrency, _ours(pool, rules))
        events, distinct, hot, score = await pool.fetchrow(_LEDGER)
        ledger = LeadLedger(
            expected=sum(1 for line in lines if line.lead),
            events=int(events),
            distinct_messages=int(distinct),
            hot_leads=int(hot),
            score=int(score),
            replay_added=int(events) - int(before),
        )
    finally:
        await pool.close()
    return [ours, alone, floor], ledger
