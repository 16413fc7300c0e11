"""``backbone bench assistant`` as a user runs it: real stores, two tables, nothing left behind.

The benchmark gets the session's Redis (a database number of the test's own) and
PostgreSQL server; it must leave neither its database nor any key behind, and no child
running. Nothing here asserts on speed: benchmarks never gate the suite.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.e2e._processes import SPAWNED, Children, run_collecting, table_rows, traced
from tests.e2e.test_bench_reports import _columns, _databases

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

ROWS = [
    "POST /v1/tasks",
    "GET /v1/tasks/{task_id}",
    "our API + job table + worker",
    "bare run_crew (Crew.kickoff), 1 process",
    "run_crew + data + chart, 1 process",
    "GET /v1/recommendations, 3 users",
    "GET /healthz (constant: the floor), 3 users",
    "GET /v1/recommendations, flat out",
    "GET /healthz (constant: the floor), flat out",
]
TASKS = 6
TINY = ["--users", "3", "--warmup", "0", "--think", "0", "--tasks", str(TASKS), "--workers", "2"]


def _start(tmp_path: Path, redis_url: str, server_url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKBONE_")}
    env.update(COLUMNS="200", PYTHONUNBUFFERED="1", REDIS_URL=redis_url, DATABASE_URL=server_url)
    return subprocess.Popen(
        traced(tmp_path / SPAWNED, "-m", "backbone.cli", "bench", "assistant", *args),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _assert_nothing_left(stderr: str, children: Children, redis_url: str, server_url: str) -> None:
    children.assert_all_gone()
    database = re.search(r"database (backbone_bench_[0-9a-f]+)", stderr)
    assert database is not None, stderr
    assert database.group(1) not in _databases(server_url)
    with redis.Redis.from_url(redis_url) as client:
        # The Redis database is the test's alone: whatever is in it, the run left.
        assert list(client.scan_iter()) == []


def test_bench_assistant_prints_both_tables_and_leaves_nothing_behind(
    tmp_path: Path, redis_url: str, postgres_server_url: str
) -> None:
    """A tiny run: both endpoints and the three ways, no errors, every analysis complete,
    the engine named as no language model; the recommendations and the floor under both
    loads, answered without errors, each against its floor; no child, database or key left."""
    process = _start(tmp_path, redis_url, postgres_server_url, *TINY, "--seconds", "2")
    stdout, stderr, children = run_collecting(process, tmp_path / SPAWNED)
    assert process.returncode == 0, stdout + stderr
    assert table_rows(stdout) == ROWS, stdout
    for row in ROWS[:2]:
        assert int(_columns(stdout, row)[1].replace(",", "")) > 0, stdout  # requests
        assert _columns(stdout, row)[-1] == "0", stdout  # errors
    for row in ROWS[5:]:
        assert int(_columns(stdout, row)[1].replace(",", "")) > 0, stdout  # requests
        assert _columns(stdout, row)[6] == "0", stdout  # errors
    assert _columns(stdout, ROWS[6])[7] == "1.00x", stdout  # the floor against itself
    assert re.search(r"GET /v1/recommendations p99 <= 20 ms at 3 users: [\d.]+ ms", stdout)
    for row in ROWS[2:5]:
        assert _columns(stdout, row)[1] == str(TASKS), stdout  # analyses complete
        assert _columns(stdout, row)[4] == "0", stdout  # errors
    assert _columns(stdout, ROWS[3])[5] == "1.00x", stdout  # the baseline of the ratio
    assert "NOT a language model" in stdout
    assert "Goals, measured in this run (reported, not enforced):" in stdout
    cores = os.cpu_count()
    pattern = rf"at the end of the load: [0-2] of 2; cores: {cores}\."
    assert re.search(pattern, stdout), stdout
    assert {"assistant", "users", "orders", "gateway"} <= children.serving()
    commands = children.commands()
    assert any("backbone.cli worker assistant --concurrency=2" in c for c in commands), commands
    assert any("backbone.bench._crew_baseline" in command for command in commands), commands
    _assert_nothing_left(stderr, children, redis_url, postgres_server_url)


def _read_until(process: subprocess.Popen[str], children: Children, text: str) -> str:
    """Read the benchmark's stderr (its progress lines) until one holds ``text``; all read."""
    assert process.stderr is not None
    seen = ""
    while text not in seen:
        line = process.stderr.readline()
        assert line, f"the benchmark ended before {text!r}: {seen}"
        seen += line
        children.poll()
    return seen


def test_bench_assistant_interrupted_stops_every_child(
    tmp_path: Path, redis_url: str, postgres_server_url: str
) -> None:
    """SIGINT (Ctrl-C) while the users run: exit 130, no child, database or key left."""
    process = _start(tmp_path, redis_url, postgres_server_url, *TINY, "--seconds", "60")
    children = Children(process, tmp_path / SPAWNED)
    try:
        seen = _read_until(process, children, "users: 0 s warm-up")
        time.sleep(2)  # into the load, with the analyses running
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
    _assert_nothing_left(seen + stderr, children, redis_url, postgres_server_url)
