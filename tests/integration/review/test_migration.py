"""The review migration creates exactly the table the model describes, with the two
rules its indexes hold: one review per delivery, one live review per head."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from alembic import command
from sqlalchemy import MetaData

from backbone.core.db import alembic_config, migrate
from backbone.review.migrations import VERSIONS
from backbone.review.models import HEAD_INDEX, REVIEW_JOBS
from tests.integration._migrations import model_metadata, schema_differences

pytestmark = pytest.mark.integration

TABLE = "review_jobs"


def _model_metadata() -> MetaData:
    return model_metadata([REVIEW_JOBS])


async def test_migration_matches_the_model(migrated_database: str) -> None:
    """After migrate(), autogenerate finds nothing to change in review_jobs."""
    assert await schema_differences(migrated_database, _model_metadata()) == []


async def test_comparison_sees_the_head_index(migrated_database: str) -> None:
    """The comparison is not vacuous: a model without the head index is a difference."""
    metadata = _model_metadata()
    table = metadata.tables[TABLE]
    table.indexes = {index for index in table.indexes if index.name != HEAD_INDEX}
    differences = await schema_differences(migrated_database, metadata)
    assert [(d[0], d[1].name) for d in differences] == [("remove_index", HEAD_INDEX)]


async def test_comparison_sees_a_missing_table(database_url: str) -> None:
    """Before any migration the whole table is missing."""
    differences = await schema_differences(database_url, _model_metadata())
    assert [d[0] for d in differences][:1] == ["add_table"]


async def _insert(url: str, *, state: str, head: str, key: str | None = None) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO review_jobs (id, state, progress, attempts, created_at, enqueued_at,"
            " repository, pull_number, head_sha, title, delivery, action, sender,"
            " idempotency_key) VALUES ($1, $2, 0, 0, now(), now(), 'o/r', 1, $3, '', 'd',"
            " 'opened', 'u', $4)",
            uuid.uuid4(),
            state,
            head,
            key,
        )
    finally:
        await connection.close()


async def test_one_live_review_per_head(migrated_database: str) -> None:
    """A second pending or complete review of a head is refused; after a failed or
    cancelled one, a new review of that head is allowed."""
    head = "a" * 40
    await _insert(migrated_database, state="pending", head=head)
    for state in ("pending", "complete", "in-progress"):
        with pytest.raises(asyncpg.UniqueViolationError, match=HEAD_INDEX):
            await _insert(migrated_database, state=state, head=head)
    other = "b" * 40
    await _insert(migrated_database, state="failed", head=other)
    await _insert(migrated_database, state="cancelled", head=other)
    await _insert(migrated_database, state="pending", head=other)


async def test_one_review_per_delivery(migrated_database: str) -> None:
    """The delivery's key is unique even without an owner (NULLS NOT DISTINCT)."""
    await _insert(migrated_database, state="failed", head="c" * 40, key="github-delivery:1")
    with pytest.raises(asyncpg.UniqueViolationError, match="ux_review_jobs_idempotency"):
        await _insert(migrated_database, state="failed", head="d" * 40, key="github-delivery:1")


def test_the_revision_downgrades_and_upgrades_again(migrated_database: str) -> None:
    """Down to the baseline drops the table; up again matches the model."""
    import asyncio

    command.downgrade(alembic_config(migrated_database, locations=[VERSIONS]), "0001_baseline")
    differences = asyncio.run(schema_differences(migrated_database, _model_metadata()))
    assert [d[0] for d in differences][:1] == ["add_table"]
    migrate(migrated_database, locations=[VERSIONS])
    assert asyncio.run(schema_differences(migrated_database, _model_metadata())) == []
