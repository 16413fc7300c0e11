"""``backbone bench reports`` as a user runs it: real stores, two tables, nothing left behind.

The benchmark gets the session's Redis (a database number of the test's own) and
PostgreSQL server; it must leave neither its database nor its keys behind, and no
child running. Nothing here asserts on speed: benchmarks never gate the suite.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import asyncpg
import pytest
import redis

from tests.e2e._processes import SPAWNED, Children, run_collecting, table_rows, traced

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

ROWS = [
    "/generate-report",
    "/reports/{job_id}/status",
    "our API + job table",
    "naive FastAPI + Celery results",
    "bare Celery .delay()",
]
TINY = ["--users", "4", "--warmup", "0", "--think", "0"]
TINY += ["--long-job-seconds", "3", "--jobs", "20", "--rounds", "1"]


def _start(tmp_path: Path, redis_url: str, server_url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKBONE_")}
    env.update(COLUMNS="200", PYTHONUNBUFFERED="1", REDIS_URL=redis_url, DATABASE_URL=server_url)
    return subprocess.Popen(
        traced(tmp_path / SPAWNED, "-m", "backbone.cli", "bench", "reports", *args),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _columns(stdout: str, first: str) -> list[str]:
    line = next(line for line in stdout.splitlines() if line.startswith(f"│ {first} "))
    return [cell.strip() for cell in line.strip("│ ").split("│")]


def _databases(server_url: str) -> set[str]:
    async def names() -> set[str]:
        scheme, rest = server_url.split("://", 1)
        conn = await asyncpg.connect(f"{scheme.split('+', 1)[0]}://{rest}")
        try:
            return {row["datname"] for row in await conn.fetch("SELECT datname FROM pg_database")}
        finally:
            await conn.close()

    return asyncio.run(names())


def _assert_nothing_left(stderr: str, children: Children, redis_url: str, server_url: str) -> None:
    children.assert_all_gone()
    database = re.search(r"database (backbone_bench_[0-9a-f]+)", stderr)
    assert database is not None, stderr
    assert database.group(1) not in _databases(server_url)
    with redis.Redis.from_url(redis_url) as client:
        left = [key for key in client.scan_iter() if b"bench-" in key or b"task-meta" in key]
        assert left == []


def test_bench_reports_prints_both_tables_and_leaves_nothing_behind(
    tmp_path: Path, redis_url: str, postgres_server_url: str
) -> None:
    """A tiny run: both endpoints and the three paths, no errors, goals; no child, database
    or key left."""
    process = _start(tmp_path, redis_url, postgres_server_url, *TINY, "--duration", "1")
    stdout, stderr, children = run_collecting(process, tmp_path / SPAWNED)
    assert process.returncode == 0, stdout + stderr
    assert table_rows(stdout) == ROWS, stdout
    for row in ROWS[:2]:
        assert _columns(stdout, row)[-1] == "0", stdout  # errors
    for row in ROWS[2:]:
        assert _columns(stdout, row)[1] == "20", stdout  # jobs finished
        assert _columns(stdout, row)[4] == "0", stdout  # errors
    assert "Goals, measured in this run (reported, not enforced):" in stdout
    assert "Worker processes running a long job at the end of the load: 2 of 2." in stdout
    assert "reports" in children.serving()
    commands = children.commands()
    assert any("backbone.cli worker" in command for command in commands), commands
    assert any("backbone.bench._celery:app" in command for command in commands), commands
    assert any("backbone.bench._naive:celery" in command for command in commands), commands
    assert any("backbone.bench._naive:api" in command for command in commands), commands
    _assert_nothing_left(stderr, children, redis_url, postgres_server_url)


def test_bench_reports_interrupted_stops_every_child(
    tmp_path: Path, redis_url: str, postgres_server_url: str
) -> None:
    """SIGINT (Ctrl-C) while the users run: exit 130, no child, database or key left."""
    process = _start(tmp_path, redis_url, postgres_server_url, *TINY, "--duration", "60")
    children = Children(process, tmp_path / SPAWNED)
    try:
        started = children.wait_for(
            lambda: (
                any("backbone.cli worker" in c for c in children.commands())
                or process.poll() is not None
            ),
            timeout=60,
        )
        assert process.poll() is None, process.communicate()
        assert started, "the worker did not start"
        time.sleep(3)  # into the load, with the long jobs running
        children.poll()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
            children.kill_alive()
    assert process.returncode == 130, stdout + stderr
    assert "every child process stopped" in stderr
    _assert_nothing_left(stderr, children, redis_url, postgres_server_url)
