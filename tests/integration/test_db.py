"""The database layer against a real PostgreSQL (and Redis) server."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from backbone.core import (
    CoreSettings,
    check_database,
    check_redis,
    create_engine,
    create_redis,
    create_service_app,
    migrate,
    session_factory,
)

pytestmark = pytest.mark.integration


async def _tables(database_url: str) -> set[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await conn.close()
    return {row["table_name"] for row in rows}


def test_migrate_creates_alembic_version(database_url: str) -> None:
    """migrate() upgrades an empty database to head: alembic_version holds the newest revision
    (core's own, its baseline, when no service's revisions are given)."""
    assert "alembic_version" not in asyncio.run(_tables(database_url))
    migrate(database_url)
    assert "alembic_version" in asyncio.run(_tables(database_url))

    async def head() -> str:
        conn = await asyncpg.connect(database_url)
        try:
            return str(await conn.fetchval("SELECT version_num FROM alembic_version"))
        finally:
            await conn.close()

    assert asyncio.run(head()) == "0001_baseline"


async def test_migrate_is_idempotent_and_callable_from_async(database_url: str) -> None:
    """migrate() works from inside a running loop and running it twice changes nothing."""
    migrate(database_url)
    migrate(database_url)
    assert "alembic_version" in await _tables(database_url)


async def test_engine_and_session_work(database_url: str) -> None:
    """The async engine and its sessions run queries through asyncpg."""
    engine = create_engine(database_url)
    try:
        await check_database(engine)
        async with session_factory(engine)() as session:
            result = await session.exec(text("SELECT 41 + 1"))  # type: ignore[call-overload]
            assert result.scalar_one() == 42
    finally:
        await engine.dispose()


async def test_readyz_reports_database(database_url: str) -> None:
    """/readyz is 200 with a reachable database and 503 with an unreachable one."""
    good = create_engine(database_url)
    bad = create_engine("postgresql://postgres@127.0.0.1:1/nowhere", connect_args={"timeout": 1})
    settings = CoreSettings(_env_file=None)  # type: ignore[call-arg]
    try:
        for engine, expected in ((good, 200), (bad, 503)):
            app = create_service_app(
                title="db",
                version="0",
                settings=settings,
                readiness_checks={"database": lambda e=engine: check_database(e)},
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                response = await client.get("/readyz")
            assert response.status_code == expected
            assert "database" in response.json().get("checks", {})
    finally:
        await good.dispose()
        await bad.dispose()


async def test_check_database_fails_when_unreachable() -> None:
    """check_database raises for a server that does not answer."""
    engine = create_engine("postgresql://postgres@127.0.0.1:1/nowhere", connect_args={"timeout": 1})
    try:
        with pytest.raises(OSError, match=r"[Cc]onnect"):
            await check_database(engine)
    finally:
        await engine.dispose()


async def test_check_redis_against_real_server(redis_url: str) -> None:
    """check_redis passes against a real Redis server."""
    client = create_redis(redis_url)
    try:
        await check_redis(client)
    finally:
        await client.aclose()
