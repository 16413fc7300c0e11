"""Real Redis and PostgreSQL from the pip-installed binaries: start, use, stop, nothing left."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest
import redis

from backbone.devstack import EmbeddedPostgres, EmbeddedRedis, EmbeddedServerError
from tests._local import scratch_directory

pytestmark = pytest.mark.integration


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A temporary directory outside pytest's basetemp (see scratch_directory)."""
    with scratch_directory("backbone-it-") as path:
        yield path


def _gone(pids: list[int]) -> bool:
    _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], 5)
    return not alive


def _tree(pid: int) -> list[int]:
    return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]


def test_redis_answers_ping_and_stops_without_leftovers(tmp_path: Path) -> None:
    """EmbeddedRedis on a free port answers PING, keeps data in its dir, and leaves no process."""
    with EmbeddedRedis(data_dir=tmp_path / "redis") as server:
        assert server.child is not None
        pids = _tree(server.child.pid)
        client = redis.Redis.from_url(server.url)
        try:
            assert client.ping()
            client.set("k", "v")
        finally:
            client.close()
    assert server.child is None
    assert _gone(pids)
    assert (tmp_path / "redis").is_dir()


async def test_postgres_answers_select_1_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    """EmbeddedPostgres runs SELECT 1, stops every backend, and reuses its cluster next time."""
    data_dir = tmp_path / "postgres"
    server = EmbeddedPostgres(data_dir=data_dir)
    with server:
        assert server.child is not None
        conn = await asyncpg.connect(server.url)
        try:
            assert await conn.fetchval("SELECT 1") == 1
            await conn.execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")
            pids = _tree(server.child.pid)
        finally:
            await conn.close()
    assert len(pids) > 1  # the postmaster and its helpers
    assert _gone(pids)

    with server:  # same object, same data dir, a fresh free port
        conn = await asyncpg.connect(server.url)
        try:
            assert await conn.fetchval("SELECT x FROM kept") == 42
        finally:
            await conn.close()


def test_a_second_postgres_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    """Two servers on one PGDATA would corrupt it: the second start is a clear error."""
    with EmbeddedPostgres(data_dir=tmp_path / "pg") as first:
        second = EmbeddedPostgres(data_dir=tmp_path / "pg")
        with pytest.raises(EmbeddedServerError, match="already runs on"):
            second.start()
        assert second.child is None
        assert first.child is not None
        assert first.child.poll() is None


def test_leaving_the_block_by_an_exception_stops_the_server(tmp_path: Path) -> None:
    """The context manager stops the server on the error path too."""
    server = EmbeddedRedis(data_dir=tmp_path / "redis")
    pids: list[int] = []

    def fail_while_running() -> None:
        with server:
            assert server.child is not None
            pids.append(server.child.pid)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_while_running()
    assert len(pids) == 1
    assert _gone(pids)
