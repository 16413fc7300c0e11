"""Migration 0002 creates exactly the table the model describes."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Index, Integer, MetaData, Table
from sqlalchemy.engine import Connection

from backbone.core.db import create_engine
from backbone.reports.models import Job

pytestmark = pytest.mark.integration

TABLE = "report_jobs"


def _names_table(item: Any) -> bool:
    """True when one element of an Alembic diff concerns the jobs table."""
    if isinstance(item, Table):
        return item.name == TABLE
    if isinstance(item, Index):
        return item.table is not None and item.table.name == TABLE
    if isinstance(item, tuple | list):
        return any(_names_table(part) for part in item)
    return item == TABLE


async def _differences(database_url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would change in the jobs table to make it match ``metadata``."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(compare)
    finally:
        await engine.dispose()
    return [difference for difference in differences if _names_table(difference)]


def _model_metadata() -> MetaData:
    """A metadata holding only the model's table (whatever else is imported)."""
    metadata = MetaData()
    Job.__table__.to_metadata(metadata)  # type: ignore[attr-defined]
    return metadata


async def test_migration_matches_the_model(migrated_database: str) -> None:
    """After migrate(), autogenerate finds nothing to change in report_jobs."""
    assert await _differences(migrated_database, _model_metadata()) == []


async def test_comparison_sees_a_difference(migrated_database: str) -> None:
    """The comparison is not vacuous: a column the migration lacks is found."""
    metadata = _model_metadata()
    metadata.tables[TABLE].append_column(Column("owner_id", Integer, nullable=True))
    differences = await _differences(migrated_database, metadata)
    assert [d[0] for d in differences] == ["add_column"]
    assert differences[0][3].name == "owner_id"


async def test_comparison_sees_a_missing_table(database_url: str) -> None:
    """Before any migration the whole table is missing (so the first test means something)."""
    differences = await _differences(database_url, _model_metadata())
    assert [d[0] for d in differences][:1] == ["add_table"]
