"""The community migration creates exactly the tables the models describe, with the
rules the CRM relies on held by the database itself."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from alembic import command
from sqlalchemy import MetaData

from backbone.community.migrations import VERSIONS
from backbone.community.models import LEAD_EVENTS, MEMBERS
from backbone.core.db import alembic_config, migrate
from tests.integration._migrations import model_metadata, schema_differences

pytestmark = pytest.mark.integration

_MEMBER = (
    "INSERT INTO community_members (guild_id, user_id, display_name, status, lead_score,"
    " first_seen_at, last_seen_at) VALUES ($1, $2, 'n', $3, $4, now(), now()) RETURNING id"
)
_EVENT = (
    "INSERT INTO community_lead_events (member_id, message_id, channel_id, phrase, excerpt, at)"
    " VALUES ($1, $2, 1, 'pricing', 'e', now())"
)


def _model_metadata() -> MetaData:
    return model_metadata([MEMBERS, LEAD_EVENTS])


async def test_migration_matches_the_models(migrated_database: str) -> None:
    """After migrate(), autogenerate finds nothing to change in either table."""
    assert await schema_differences(migrated_database, _model_metadata()) == []


async def test_comparison_sees_a_missing_index(migrated_database: str) -> None:
    """The comparison is not vacuous: a model without the events' index is a difference."""
    metadata = _model_metadata()
    table = metadata.tables["community_lead_events"]
    table.indexes = {
        index for index in table.indexes if index.name != "ix_community_lead_events_member_at"
    }
    differences = await schema_differences(migrated_database, metadata)
    assert [(d[0], d[1].name) for d in differences] == [
        ("remove_index", "ix_community_lead_events_member_at")
    ]


async def test_comparison_sees_missing_tables(database_url: str) -> None:
    """Before any migration both tables are missing."""
    differences = await schema_differences(database_url, _model_metadata())
    assert sorted(d[1].name for d in differences if d[0] == "add_table") == [
        "community_lead_events",
        "community_members",
    ]


async def test_the_database_holds_the_rules(conn: asyncpg.Connection) -> None:
    """One row per member of a server, one event per message, a known status, a score
    never below zero, and a member's events go with it."""
    member = await conn.fetchval(_MEMBER, 1, 2, "member", 0)
    with pytest.raises(asyncpg.UniqueViolationError, match="uq_community_members_guild_user"):
        await conn.fetchval(_MEMBER, 1, 2, "member", 0)
    with pytest.raises(asyncpg.CheckViolationError, match="ck_community_members_status"):
        await conn.fetchval(_MEMBER, 1, 3, "lead", 0)
    with pytest.raises(asyncpg.CheckViolationError, match="ck_community_members_lead_score"):
        await conn.fetchval(_MEMBER, 1, 4, "member", -1)
    await conn.execute(_EVENT, member, 10)
    with pytest.raises(asyncpg.UniqueViolationError, match="uq_community_lead_events_message"):
        await conn.execute(_EVENT, member, 10)
    await conn.execute("DELETE FROM community_members WHERE id = $1", member)
    assert await conn.fetchval("SELECT count(*) FROM community_lead_events") == 0


def test_the_revision_downgrades_and_upgrades_again(migrated_database: str) -> None:
    """Down to the baseline drops both tables; up again matches the models."""
    command.downgrade(alembic_config(migrated_database, locations=[VERSIONS]), "0001_baseline")
    differences = asyncio.run(schema_differences(migrated_database, _model_metadata()))
    assert sorted(d[1].name for d in differences if d[0] == "add_table") == [
        "community_lead_events",
        "community_members",
    ]
    migrate(migrated_database, locations=[VERSIONS])
    assert asyncio.run(schema_differences(migrated_database, _model_metadata())) == []
