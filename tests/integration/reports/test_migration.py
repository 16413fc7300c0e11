"""The report migrations create exactly the table the model describes, and upgrade an
existing database from every earlier revision with its rows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from alembic import command
from sqlalchemy import Column, Integer, MetaData

from backbone.core.db import alembic_config, migrate
from backbone.reports.migrations import VERSIONS
from backbone.reports.models import ReportJob
from tests.integration._migrations import model_metadata, schema_differences

pytestmark = pytest.mark.integration

TABLE = "report_jobs"
INDEX = "ux_report_jobs_idempotency"


def _model_metadata() -> MetaData:
    """A metadata holding only the model's table (whatever else is imported)."""
    return model_metadata([ReportJob.__table__])  # type: ignore[attr-defined]


async def test_migration_matches_the_model(migrated_database: str) -> None:
    """After migrate(), autogenerate finds nothing to change in report_jobs."""
    assert await schema_differences(migrated_database, _model_metadata()) == []


async def test_comparison_sees_a_difference(migrated_database: str) -> None:
    """The comparison is not vacuous: a column the migration lacks is found."""
    metadata = _model_metadata()
    metadata.tables[TABLE].append_column(Column("priority", Integer, nullable=True))
    differences = await schema_differences(migrated_database, metadata)
    assert [d[0] for d in differences] == ["add_column"]
    assert differences[0][3].name == "priority"


async def test_comparison_sees_the_key_index(migrated_database: str) -> None:
    """The comparison covers the unique key index: a model without it is a difference."""
    metadata = _model_metadata()
    table = metadata.tables[TABLE]
    table.indexes = {index for index in table.indexes if index.name != INDEX}
    differences = await schema_differences(migrated_database, metadata)
    assert [(d[0], d[1].name) for d in differences] == [("remove_index", INDEX)]


async def test_comparison_sees_a_missing_table(database_url: str) -> None:
    """Before any migration the whole table is missing (so the first test means something)."""
    differences = await schema_differences(database_url, _model_metadata())
    assert [d[0] for d in differences][:1] == ["add_table"]


# A job as each earlier revision stored it (0001 has no job table yet).
_OLD_ROWS: dict[str, dict[str, Any]] = {
    "0002_report_jobs": {"state": "complete", "progress": 100, "attempts": 1},
    "0003_report_jobs_enqueued_at": {"state": "failed", "progress": 40, "attempts": 3},
    "0004_report_jobs_shared_columns": {"state": "cancelled", "progress": 10, "attempts": 1},
}


async def _sql(database_url: str, method: str, sql: str, *args: Any) -> Any:
    connection = await asyncpg.connect(database_url)
    try:
        return await getattr(connection, method)(sql, *args)
    finally:
        await connection.close()


@pytest.mark.parametrize(
    "revision",
    [
        "0001_baseline",
        "0002_report_jobs",
        "0003_report_jobs_enqueued_at",
        "0004_report_jobs_shared_columns",
    ],
)
def test_an_existing_database_upgrades_with_its_rows(database_url: str, revision: str) -> None:
    """A database left at an earlier revision, jobs in it, upgrades to the newest: rows kept."""
    command.upgrade(alembic_config(database_url, locations=[VERSIONS]), revision)
    job_id, created = uuid.uuid4(), datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    old = _OLD_ROWS.get(revision)
    if old is not None:
        columns = {"id": job_id, "title": "Old", "created_at": created, **old}
        if revision != "0002_report_jobs":
            columns["enqueued_at"] = created
        names = ", ".join(columns)
        marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
        sql = f"INSERT INTO report_jobs ({names}) VALUES ({marks})"  # noqa: S608 - our names
        asyncio.run(_sql(database_url, "execute", sql, *columns.values()))
    migrate(database_url, locations=[VERSIONS])
    rows = asyncio.run(_sql(database_url, "fetch", "SELECT * FROM report_jobs"))
    if old is None:
        assert rows == []
    else:
        [row] = rows
        assert {name: row[name] for name in old} == old
        assert (row["id"], row["title"], row["created_at"]) == (job_id, "Old", created)
        assert row["enqueued_at"] == created
        assert (row["owner_id"], row["result"], row["approved_at"]) == (None, None, None)
        assert (row["idempotency_key"], row["idempotency_hash"]) == (None, None)
    assert asyncio.run(schema_differences(database_url, _model_metadata())) == []


def test_the_idempotency_revision_downgrades_and_upgrades_again(migrated_database: str) -> None:
    """Down to 0004 drops the key columns and their index (rows kept); up again restores them."""
    config = alembic_config(migrated_database, locations=[VERSIONS])
    insert = "INSERT INTO report_jobs (id, title, state, progress, attempts, created_at,"
    insert += " enqueued_at, idempotency_key, idempotency_hash) VALUES ($1, 'Old', 'pending',"
    insert += " 0, 0, now(), now(), 'k', $2)"
    job_id = uuid.uuid4()
    asyncio.run(_sql(migrated_database, "execute", insert, job_id, "0" * 64))
    command.downgrade(config, "0004_report_jobs_shared_columns")
    columns = "SELECT column_name FROM information_schema.columns WHERE table_name = 'report_jobs'"
    names = {row[0] for row in asyncio.run(_sql(migrated_database, "fetch", columns))}
    assert "idempotency_key" not in names
    assert "idempotency_hash" not in names
    index = "SELECT 1 FROM pg_indexes WHERE indexname = 'ux_report_jobs_idempotency'"
    assert asyncio.run(_sql(migrated_database, "fetchval", index)) is None
    assert asyncio.run(_sql(migrated_database, "fetchval", "SELECT id FROM report_jobs")) == job_id
    migrate(migrated_database, locations=[VERSIONS])
    assert asyncio.run(schema_differences(migrated_database, _model_metadata())) == []


async def test_the_database_refuses_a_second_job_for_a_key(migrated_database: str) -> None:
    """The unique index holds for writers that skip the API: one job per key even with no
    owner (NULLS NOT DISTINCT), while any number of jobs have no key."""
    insert = (
        "INSERT INTO report_jobs (id, title, state, progress, attempts, created_at,"
        " enqueued_at, idempotency_key) VALUES ($1, 'R', 'pending', 0, 0, now(), now(), $2)"
    )
    for _ in range(2):
        await _sql(migrated_database, "execute", insert, uuid.uuid4(), None)
    await _sql(migrated_database, "execute", insert, uuid.uuid4(), "key-1")
    with pytest.raises(asyncpg.UniqueViolationError, match="ux_report_jobs_idempotency"):
        await _sql(migrated_database, "execute", insert, uuid.uuid4(), "key-1")
    await _sql(migrated_database, "execute", insert, uuid.uuid4(), "KEY-1")  # keys match exactly
    count = "SELECT count(*) FROM report_jobs"
    assert await _sql(migrated_database, "fetchval", count) == 4
