"""The database layer without a database: URLs, engines, sessions, Alembic config."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from backbone.core import (
    SessionDep,
    create_engine,
    normalize_database_url,
    session_factory,
    sync_database_url,
)
from backbone.core.db import CORE_VERSIONS, MIGRATIONS_DIR, alembic_config


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("POSTGRESQL://u@h/db", "postgresql+asyncpg://u@h/db"),
        (
            "postgresql://postgres@/db?host=/var/run/postgresql",
            "postgresql+asyncpg://postgres@/db?host=%2Fvar%2Frun%2Fpostgresql",
        ),
        ("postgresql://u@h/db?sslmode=require", "postgresql+asyncpg://u@h/db?ssl=require"),
        ("  postgresql://u@h/db  ", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_normalize_database_url(url: str, expected: str) -> None:
    """Every way of writing a PostgreSQL URL becomes postgresql+asyncpg://."""
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite:///x.db", "not a url", ""])
def test_normalize_refuses_other_databases(url: str) -> None:
    """Anything but PostgreSQL is refused with a clear error."""
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        normalize_database_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        (
            "postgresql://postgres@/db?host=/var/run/postgresql",
            "postgresql+psycopg://postgres@/db?host=%2Fvar%2Frun%2Fpostgresql",
        ),
        ("postgresql://u@h/db?sslmode=require", "postgresql+psycopg://u@h/db?sslmode=require"),
        ("postgresql+asyncpg://u@h/db?ssl=require", "postgresql+psycopg://u@h/db?sslmode=require"),
    ],
)
def test_sync_database_url(url: str, expected: str) -> None:
    """Every way of writing a PostgreSQL URL becomes postgresql+psycopg:// with libpq's sslmode."""
    assert sync_database_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite:///x.db", ""])
def test_sync_database_url_refuses_other_databases(url: str) -> None:
    """The synchronous URL refuses anything but PostgreSQL, like the async one."""
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        sync_database_url(url)


def test_sync_url_reaches_psycopg_with_the_socket_directory() -> None:
    """A sync engine built from a unix-socket URL hands psycopg the socket directory."""
    from sqlalchemy import create_engine as create_sync_engine

    engine = create_sync_engine(sync_database_url("postgresql://postgres@/db?host=/run/pg"))
    try:
        _, kwargs = engine.dialect.create_connect_args(engine.url)
        assert kwargs["host"] == "/run/pg"
        assert kwargs["dbname"] == "db"
    finally:
        engine.dispose()


async def test_unix_socket_url_reaches_asyncpg_as_host() -> None:
    """A unix-socket URL gives asyncpg the socket directory as its host."""
    engine = create_engine("postgresql://postgres@/db?host=/var/run/postgresql")
    try:
        _, kwargs = engine.dialect.create_connect_args(engine.url)
        assert kwargs["host"] == "/var/run/postgresql"
        assert kwargs["database"] == "db"
    finally:
        await engine.dispose()


async def test_create_engine_and_sessions() -> None:
    """create_engine makes an asyncpg engine; the factory makes SQLModel async sessions."""
    engine = create_engine("postgres://u@h/db", pool_size=2)
    try:
        assert isinstance(engine, AsyncEngine)
        assert engine.url.drivername == "postgresql+asyncpg"
        factory = session_factory(engine)
        async with factory() as session:
            assert isinstance(session, AsyncSession)
    finally:
        await engine.dispose()


async def test_session_dep_uses_app_factory() -> None:
    """SessionDep hands each request a session from app.state.session_factory."""
    engine = create_engine("postgresql://u@h/db")
    app = FastAPI()
    app.state.session_factory = session_factory(engine)

    @app.get("/s")
    async def route(session: SessionDep) -> dict[str, str]:
        return {"type": type(session).__name__}

    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/s")).json() == {"type": "AsyncSession"}
    finally:
        await engine.dispose()


def test_alembic_config_points_into_package() -> None:
    """Alembic runs from the package's migrations with the normalized URL, no ini file."""
    config = alembic_config("postgres://u:p%40ss@h/db")
    assert config.get_main_option("script_location") == str(MIGRATIONS_DIR)
    assert config.attributes["database_url"] == "postgresql+asyncpg://u:p%40ss@h/db"
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()


def test_core_holds_only_its_baseline_and_services_branch_from_it() -> None:
    """Core's own history is its baseline; each service's revisions are a branch on it,
    with one head each (the assistant's, the report processor's, the review's and the
    community CRM's newest)."""
    from alembic.script import ScriptDirectory

    from backbone.cli._services import migration_locations

    core = ScriptDirectory.from_config(alembic_config("postgresql://u@h/db"))
    assert core.get_heads() == ["0001_baseline"]
    assert [path.name for path in CORE_VERSIONS.glob("v*.py")] == ["v0001_baseline.py"]
    everything = alembic_config("postgresql://u@h/db", locations=migration_locations())
    script = ScriptDirectory.from_config(everything)
    assert sorted(script.get_heads()) == [
        "0005_report_jobs_idempotency",
        "a0005_assistant_automation",
        "c0001_community",
        "r0001_review_jobs",
    ]
    assert script.get_base() == "0001_baseline"


def test_offline_migration_sql(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline mode renders the migrations as SQL without a database."""
    import io

    from alembic import command

    config = alembic_config("postgresql://u@h/db")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    sql = config.output_buffer.getvalue()
    assert "CREATE TABLE alembic_version" in sql
    assert "0001_baseline" in sql


def test_migration_without_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without any database URL the environment says how to give one."""
    from alembic import command
    from alembic.config import Config

    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with pytest.raises(RuntimeError, match="no database URL"):
        command.upgrade(config, "head", sql=True)


def test_baseline_has_no_operations() -> None:
    """The baseline revision is deliberately empty both ways."""
    from backbone.core.migrations.versions import v0001_baseline

    assert v0001_baseline.revision == "0001_baseline"
    assert v0001_baseline.down_revision is None
    assert v0001_baseline.upgrade() is None
    assert v0001_baseline.downgrade() is None
