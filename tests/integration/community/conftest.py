"""Fixtures of the community store's tests: a migrated database and connections to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from backbone.community.migrations import VERSIONS
from backbone.core.db import libpq_url, migrate


@pytest.fixture
def migrated_database(database_url: str) -> str:
    """The test's own database, migrated to the newest community tables."""
    migrate(database_url, locations=[VERSIONS])
    return database_url


@pytest.fixture
async def conn(migrated_database: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection to the migrated database, closed after the test."""
    connection = await asyncpg.connect(libpq_url(migrated_database))
    try:
        yield connection
    finally:
        await connection.close()
