"""`!summarize-day` with the CRM in PostgreSQL: the day's hot leads come from the table."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from backbone.community.summary import DayLead
from backbone.core.db import libpq_url
from tests.unit.community._server import simulated_server

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(migrated_database: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool to the migrated database, closed after the test."""
    created = await asyncpg.create_pool(libpq_url(migrated_database), min_size=0, max_size=2)
    try:
        yield created
    finally:
        await created.close()


async def test_the_days_leads_reach_the_summariser(
    monkeypatch: pytest.MonkeyPatch, pool: asyncpg.Pool
) -> None:
    """bob's lead, recorded by the bot, is handed to the summariser as a DayLead."""
    async with simulated_server(monkeypatch, pool=pool) as server:
        server.make_admin(server.member("alice"))
        bob = server.member("bob")
        lead = await server.say("how can I buy this?", channel="general-chat", member=bob)
        await server.say("!summarize-day", channel="random", member=server.member("alice"))
        (call,) = server.summary.calls
        (day_lead,) = call["leads"]
        assert isinstance(day_lead, DayLead)
        assert (day_lead.user_id, day_lead.display_name) == (bob.id, bob.display_name)
        assert (day_lead.phrase, day_lead.excerpt, day_lead.at) == (
            "how (do|can) i buy",
            "how can I buy this?",
            lead.created_at,
        )
        assert len(server.messages_in("admin-reports")) == 1
