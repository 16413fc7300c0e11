"""The async database layer: SQLModel on SQLAlchemy's asyncio engine with asyncpg.

- :func:`normalize_database_url` turns the URLs people write (``postgres://``,
  ``postgresql://``, unix sockets via ``?host=/dir``) into ``postgresql+asyncpg://``;
  :func:`sync_database_url` turns them into ``postgresql+psycopg://`` for synchronous
  code (the Celery workers, which run one blocking job per process);
- :func:`create_engine`, :func:`session_factory`, and :data:`SessionDep` for routes
  (the app keeps its factory in ``app.state.session_factory``; tests override
  :func:`get_session`);
- :func:`check_database`, a readiness check;
- :func:`migrate`, Alembic ``upgrade heads`` run programmatically (no ``alembic.ini``).

Core's migrations hold what core owns (the baseline); each service with tables keeps
its revisions in a package of its own (``backbone.reports.migrations``), a branch on
core's baseline, and whoever migrates passes their locations: every location whose
revisions a database has seen, or Alembic cannot find its current revision.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from alembic import command
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

logger = logging.getLogger(__name__)

ASYNC_SCHEME = "postgresql+asyncpg"
SYNC_SCHEME = "postgresql+psycopg"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CORE_VERSIONS = MIGRATIONS_DIR / "versions"
_POSTGRES_SCHEMES = frozenset({"postgres", "postgresql"})


def _postgres_url(url: str, scheme: str, renames: dict[str, str]) -> str:
    parts = urlsplit(url.strip())
    base = parts.scheme.split("+", 1)[0].lower()
    if base not in _POSTGRES_SCHEMES:
        msg = f"not a PostgreSQL URL (scheme {parts.scheme or '<none>'!r})"
        raise ValueError(msg)
    query = [(renames.get(k, k), v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(scheme=scheme, query=urlencode(query)))


def normalize_database_url(url: str) -> str:
    """``postgresql+asyncpg://...`` for any PostgreSQL URL (driver suffixes replaced).

    libpq's ``sslmode`` query parameter becomes asyncpg's ``ssl``.
    """
    return _postgres_url(url, ASYNC_SCHEME, {"sslmode": "ssl"})


def sync_database_url(url: str) -> str:
    """``postgresql+psycopg://...`` (psycopg 3, synchronous) for any PostgreSQL URL.

    psycopg speaks libpq, so ``sslmode`` stays as it is and asyncpg's ``ssl`` becomes it.
    """
    return _postgres_url(url, SYNC_SCHEME, {"ssl": "sslmode"})


def libpq_url(url: str) -> str:
    """``postgresql://...`` for libpq itself (psycopg's and asyncpg's own ``connect``).

    Driver suffixes go; asyncpg's ``ssl`` becomes libpq's ``sslmode``.
    """
    return _postgres_url(url, "postgresql", {"ssl": "sslmode"})


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An async engine for ``url`` (normalized); ``options`` go to SQLAlchemy."""
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(normalize_database_url(url), **options)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to ``engine`` whose objects stay usable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, from ``app.state.session_factory``."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def check_database(engine: AsyncEngine) -> None:
    """Readiness: raise unless ``SELECT 1`` succeeds on ``engine``."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def alembic_config(database_url: str, *, locations: Iterable[Path] = ()) -> Config:
    """An Alembic config for core's migrations and ``locations``' revisions, no ``alembic.ini``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    versions = [str(path) for path in (CORE_VERSIONS, *locations)]
    config.set_main_option("path_separator", "os")
    # Options go through configparser, where '%' starts an interpolation.
    config.set_main_option("version_locations", os.pathsep.join(versions).replace("%", "%%"))
    # Passed as an attribute, not an ini option: '%' in URLs breaks configparser.
    config.attributes["database_url"] = normalize_database_url(database_url)
    return config


def migrate(database_url: str, *, locations: Iterable[Path] = ()) -> None:
    """Upgrade the database at ``database_url`` to the newest revision of every branch (blocking).

    ``locations`` are the services' revision directories (core's own are always there).
    Safe to call from a thread that runs an event loop: Alembic then runs in a worker
    thread, because the migration environment starts its own loop.
    """
    config = alembic_config(database_url, locations=locations)
    logger.info("database_migrate revision=heads")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(config, "heads")
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.upgrade, config, "heads").result()
