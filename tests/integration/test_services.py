"""The suite's own service fixtures hand every test real, clean, isolated state."""

from __future__ import annotations

import asyncpg
import redis

from backbone.core.db import libpq_url
from tests import _services


def test_redis_url_is_a_clean_database_of_its_own(redis_url: str) -> None:
    """A test's Redis database starts empty and is not database 0."""
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.dbsize() == 0
        assert client.connection_pool.connection_kwargs["db"] != 0
        client.set("marker", "1")
        assert client.get("marker") == b"1"
    finally:
        client.close()


def test_next_redis_database_is_flushed(redis_server_url: str) -> None:
    """What one holder of a Redis database leaves behind is gone for the next."""
    pool = _services.RedisDatabases(redis_server_url)
    with pool.acquire() as first:
        redis.Redis.from_url(first).set("left-behind", "1")
    pool._next -= 1  # hand out the same number again
    with pool.acquire() as again:
        assert again == first
        assert redis.Redis.from_url(again).exists("left-behind") == 0


async def test_database_url_is_a_fresh_empty_database(database_url: str) -> None:
    """A test's database exists, is reachable, and holds no tables of ours."""
    conn = await asyncpg.connect(database_url)
    try:
        name = await conn.fetchval("SELECT current_database()")
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await conn.close()
    assert name.startswith("bb_test_")
    assert tables == 0


def test_fresh_database_is_dropped_afterwards(postgres_server_url: str) -> None:
    """The per-test database is dropped when the test ends."""
    import asyncio

    with _services.fresh_database(postgres_server_url) as url:
        name = url.rsplit("/", 1)[1]

    async def exists() -> bool:
        conn = await asyncpg.connect(libpq_url(postgres_server_url))
        try:
            return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
        finally:
            await conn.close()

    assert asyncio.run(exists()) is False
