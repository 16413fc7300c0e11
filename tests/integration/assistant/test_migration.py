"""The assistant's migrations create exactly the tables the models describe, upgrade a
database from the first revision with its rows, and downgrade cleanly."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from alembic import command
from sqlalchemy import Column, Integer, MetaData

from backbone.assistant.auth.models import REFRESH_TOKENS, USERS
from backbone.assistant.automation.models import FOLLOW_UPS
from backbone.assistant.migrations import VERSIONS
from backbone.assistant.tasks.models import TASK_STEPS, TASKS
from backbone.core.db import alembic_config, migrate
from tests.integration._migrations import model_metadata, schema_differences
from tests.integration.assistant.conftest import sql

pytestmark = pytest.mark.integration

MODELS = (USERS, REFRESH_TOKENS, TASKS, TASK_STEPS, FOLLOW_UPS)


def _model_metadata() -> MetaData:
    """A metadata holding only the models' tables (whatever else is imported)."""
    return model_metadata(MODELS)


async def test_migrations_match_the_models(migrated_database: str) -> None:
    """After migrate(), autogenerate finds nothing to change in the assistant's tables."""
    assert await schema_differences(migrated_database, _model_metadata()) == []


async def test_comparison_sees_a_difference(migrated_database: str) -> None:
    """The comparison is not vacuous: a column the migrations lack is found."""
    metadata = _model_metadata()
    metadata.tables["assistant_users"].append_column(Column("age", Integer, nullable=True))
    differences = await schema_differences(migrated_database, metadata)
    assert [d[0] for d in differences] == ["add_column"]


async def test_comparison_sees_missing_tables(database_url: str) -> None:
    """Before any migration every table is missing (so the first test means something)."""
    differences = await schema_differences(database_url, _model_metadata())
    assert {d[0] for d in differences} >= {"add_table"}


def test_a_users_database_upgrades_with_its_rows(database_url: str) -> None:
    """A database at a0001 with a user upgrades to the tasks revision, the user kept."""
    command.upgrade(alembic_config(database_url, locations=[VERSIONS]), "a0001_assistant_users")
    user_id = uuid.uuid4()
    asyncio.run(
        sql(
            database_url,
            "execute",
            "INSERT INTO assistant_users (id, email, password_hash, role, created_at)"
            " VALUES ($1, 'old@example.com', 'x', 'user', now())",
            user_id,
        )
    )
    migrate(database_url, locations=[VERSIONS])
    rows = asyncio.run(sql(database_url, "fetch", "SELECT id, email FROM assistant_users"))
    assert [(row["id"], row["email"]) for row in rows] == [(user_id, "old@example.com")]
    assert asyncio.run(schema_differences(database_url, _model_metadata())) == []


def test_the_migrations_downgrade_to_the_baseline(migrated_database: str) -> None:
    """Downgrading the assistant's branch drops its four tables and nothing else."""
    config = alembic_config(migrated_database, locations=[VERSIONS])
    command.downgrade(config, "assistant@0001_baseline")
    query = "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'assistant%'"
    assert asyncio.run(sql(migrated_database, "fetch", query)) == []


async def test_the_database_refuses_a_second_account_for_an_email(
    migrated_database: str,
) -> None:
    """The unique index holds even for writers that skip the API; emails must be lower-case."""
    insert = (
        "INSERT INTO assistant_users (id, email, password_hash, role, created_at)"
        " VALUES ($1, $2, 'x', 'user', now())"
    )
    await sql(migrated_database, "execute", insert, uuid.uuid4(), "one@example.com")
    with pytest.raises(asyncpg.UniqueViolationError, match="ux_assistant_users_email"):
        await sql(migrated_database, "execute", insert, uuid.uuid4(), "one@example.com")
    with pytest.raises(asyncpg.CheckViolationError, match="ck_assistant_users_email_lower"):
        await sql(migrated_database, "execute", insert, uuid.uuid4(), "Two@example.com")


async def test_a_key_is_unique_per_user_not_across_users(migrated_database: str) -> None:
    """The tasks' unique key index is scoped by owner: one user cannot reuse a key, two
    users may each use it."""
    users = [uuid.uuid4(), uuid.uuid4()]
    for number, user_id in enumerate(users):
        await sql(
            migrated_database,
            "execute",
            "INSERT INTO assistant_users (id, email, password_hash, role, created_at)"
            " VALUES ($1, $2, 'x', 'user', now())",
            user_id,
            f"key{number}@example.com",
        )
    insert = (
        "INSERT INTO assistant_tasks (id, owner_id, state, progress, attempts, created_at,"
        " enqueued_at, type, input, idempotency_key)"
        " VALUES ($1, $2, 'pending', 0, 0, now(), now(), 'analysis', '{}', $3)"
    )
    await sql(migrated_database, "execute", insert, uuid.uuid4(), users[0], "k")
    await sql(migrated_database, "execute", insert, uuid.uuid4(), users[1], "k")
    with pytest.raises(asyncpg.UniqueViolationError, match="ux_assistant_tasks_idempotency"):
        await sql(migrated_database, "execute", insert, uuid.uuid4(), users[0], "k")


async def test_a_follow_up_is_unique_per_task_and_action(migrated_database: str) -> None:
    """The database itself refuses a second flag for one task's action (redelivery safety)."""
    user_id, task_id = uuid.uuid4(), uuid.uuid4()
    await sql(
        migrated_database,
        "execute",
        "INSERT INTO assistant_users (id, email, password_hash, role, created_at)"
        " VALUES ($1, 'f@example.com', 'x', 'user', now())",
        user_id,
    )
    await sql(
        migrated_database,
        "execute",
        "INSERT INTO assistant_tasks (id, owner_id, state, progress, attempts, created_at,"
        " enqueued_at, type, input) VALUES ($1, $2, 'pending', 0, 0, now(), now(),"
        " 'automation', '{}')",
        task_id,
        user_id,
    )
    insert = (
        "INSERT INTO assistant_follow_ups (id, task_id, action_id, user_id, reason, created_at)"
        " VALUES ($1, $2, 'a1', 123, 'why', now())"
    )
    await sql(migrated_database, "execute", insert, uuid.uuid4(), task_id)
    with pytest.raises(asyncpg.UniqueViolationError, match="uq_assistant_follow_ups_task_action"):
        await sql(migrated_database, "execute", insert, uuid.uuid4(), task_id)
