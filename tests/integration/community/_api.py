"""What the CRM API's tests share: settings, a token, and members seeded through the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from backbone.community.config import CommunitySettings
from backbone.community.store import record_lead, upsert_member
from backbone.core.db import libpq_url

TOKEN = "community-api-token-of-the-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GUILD = 900_000_000_000_000_001
OTHER_GUILD = 5


def community_settings(**overrides: Any) -> CommunitySettings:
    """Settings that ignore the environment's .env, with the tests' token and ``overrides``."""
    values: dict[str, Any] = {"api_token": TOKEN, **overrides}
    return CommunitySettings(_env_file=None, **values)  # type: ignore[call-arg]


async def seed(database_url: str, names: list[str], *, guild: int = GUILD) -> list[int]:
    """One member per name (user ids 1000, 1001...), each seen a minute after the one
    before; the CRM ids, in that order."""
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        ids = []
        for number, name in enumerate(names):
            row = await upsert_member(
                conn,
                guild_id=guild,
                user_id=1000 + number,
                display_name=name,
                joined_at=T0,
                seen_at=T0 + timedelta(minutes=number),
            )
            ids.append(row.id)
        return ids
    finally:
        await conn.close()


async def seed_leads(database_url: str, *, user: int, messages: list[int]) -> None:
    """A lead event for each message (sent an hour apart, in order) by ``user`` of GUILD."""
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        for position, message in enumerate(messages):
            await record_lead(
                conn,
                guild_id=GUILD,
                user_id=user,
                display_name=f"user{user}",
                message_id=message,
                channel_id=77,
                phrase="(price|prices|pricing)",
                excerpt=f"what is the pricing? ({message})",
                at=T0 + timedelta(hours=position + 1),
            )
    finally:
        await conn.close()
