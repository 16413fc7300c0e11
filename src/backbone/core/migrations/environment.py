"""The Alembic migration environment: migrations run on the async engine via ``run_sync``.

Alembic executes ``env.py`` under a module name of its own choosing; the logic lives
here, in a normally imported module, so it is type-checked and measured like the rest.
The URL comes from ``config.attributes["database_url"]`` (set by
:func:`backbone.core.db.migrate`), else the ``sqlalchemy.url`` option, else
``DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from backbone.core.db import normalize_database_url

target_metadata = SQLModel.metadata


def database_url() -> str:
    """The URL to migrate, normalized for asyncpg."""
    config = context.config
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        msg = "no database URL: call backbone.core.db.migrate(url) or set DATABASE_URL"
        raise RuntimeError(msg)
    return normalize_database_url(str(url))


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(database_url(), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations() -> None:
    """Run the migrations Alembic asked for, online (or as SQL in offline mode)."""
    if context.is_offline_mode():
        context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(_run_online())
