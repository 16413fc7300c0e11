"""What Alembic's autogenerate would change in some tables: the check that a service's
migrations create exactly the tables its models describe."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Index, MetaData, Table
from sqlalchemy.engine import Connection

from backbone.core.db import create_engine

__all__ = ["model_metadata", "schema_differences"]


def model_metadata(tables: Iterable[Table]) -> MetaData:
    """A metadata holding only ``tables`` (whatever else is imported)."""
    metadata = MetaData()
    for table in tables:
        table.to_metadata(metadata)
    return metadata


def _names(item: Any, names: frozenset[str]) -> bool:
    """True when one element of an Alembic diff concerns one of the tables ``names``."""
    if isinstance(item, Table):
        return item.name in names
    if isinstance(item, Index):
        return item.table is not None and item.table.name in names
    if isinstance(item, tuple | list):
        return any(_names(part, names) for part in item)
    return item in names


async def schema_differences(database_url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would change in the database's copies of ``metadata``'s tables
    to make them match it (other tables are not looked at)."""
    names = frozenset(metadata.tables)

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(compare)
    finally:
        await engine.dispose()
    return [difference for difference in differences if _names(difference, names)]
