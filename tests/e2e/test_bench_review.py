"""``backbone bench review`` as a user runs it: real stores, three tables, nothing left behind.

The benchmark gets the session's Redis (a database number of the test's own) and
PostgreSQL server; it must leave neither its database nor any key behind, and no child
running. Nothing here asserts on speed: benchmarks never gate the suite.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.e2e._processes import SPAWNED, Children, run_collecting, table_rows, traced
from tests.e2e.test_bench_assistant import _assert_nothing_left, _read_until
from tests.e2e.test_bench_reports import _columns

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

OURS = "webhook + job table + worker, 1 process"
BARE = "bare build_review (ruff + crew), 1 process"
ACKS = [
    "POST /webhooks/github, 3 at once",
    "GET /healthz, 3 at once (the floor)",
    "POST /webhooks/github, closed loop",
    "GET /healthz, closed loop (the floor)",
]
ROWS = [*ACKS, "202 queued", OURS, BARE]
PULLS = 3
TINY = ["--deliveries-users", "3", "--warmup", "0", "--pulls", str(PULLS), "--workers", "1"]


def _start(tmp_path: Path, redis_url: str, server_url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKBONE_")}
    env.update(COLUMNS="220", PYTHONUNBUFFERED="1", REDIS_URL=redis_url, DATABASE_URL=server_url)
    return subprocess.Popen(
        traced(tmp_path / SPAWNED, "-m", "backbone.cli", "bench", "review", *args),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _number(cell: str) -> int:
    return int(cell.replace(",", ""))


def test_bench_review_prints_its_tables_loses_nothing_and_leaves_nothing_behind(
    tmp_path: Path, redis_url: str, postgres_server_url: str
) -> None:
    """A tiny run: the deliveries and the floor answered without errors, each against the
    floor; every acknowledged delivery recorded and queued, lost = 0; every review complete
    with the same findings through the service and bare; the goals said; no child,
    database or key left."""
    process = _start(tmp_path, redis_url, postgres_server_url, *TINY, "--seconds", "2")
    stdout, stderr, children = run_collecting(process, tmp_path / SPAWNED)
    assert process.returncode == 0, stdout + stderr
    assert table_rows(stdout) == ROWS, stdout
    for row in ACKS:
        assert _number(_columns(stdout, row)[1]) > 0, stdout  # requests
        assert _columns(stdout, row)[7] == "0", stdout  # errors
        assert float(_columns(stdout, row)[8]) > 0, stdout  # the API's CPU per request
    for floor in (ACKS[1], ACKS[3]):
        assert _columns(stdout, floor)[9:] == ["1.00x", "1.00x"], stdout  # the floor, itself
    acknowledged, recorded, queued, consumed, lost, duplicated, unanswered = _columns(
        stdout, "202 queued"
    )[1:]
    timed = _number(_columns(stdout, ACKS[0])[1]) + _number(_columns(stdout, ACKS[2])[1])
    assert _number(acknowledged) >= timed, stdout
    assert recorded == queued == acknowledged, stdout
    assert (consumed, lost, duplicated, unanswered) == ("0", "0", "0", "0"), stdout
    assert re.search(r"met +0 lost: lost = 0 of [\d,]+ deliveries acknowledged", stdout), stdout
    for row in (OURS, BARE):
        reviews, findings, *_, errors, _ratio = _columns(stdout, row)[1:]
        assert (reviews, findings, errors) == (str(PULLS), "120", "0"), stdout
    assert _columns(stdout, BARE)[-1] == "1.00x", stdout
    assert re.search(r"p99 <= 50 ms with 3 deliveries at once: [\d.]+ ms", stdout), stdout
    assert re.search(r"capacity: [\d,]+ deliveries/s with 3 clients never pausing", stdout)
    assert "NOT a language model" in stdout
    assert {"review", "github"} <= children.serving()
    commands = children.commands()
    assert any("backbone.cli worker review --concurrency=1" in c for c in commands), commands
    assert any("backbone.bench._review_baseline" in command for command in commands), commands
    _assert_nothing_left(stderr, children, redis_url, postgres_server_url)


def test_bench_review_interrupted_stops_every_child(
    tmp_path: Path, redis_url: str, postgres_server_url: str
) -> None:
    """SIGINT (Ctrl-C) while the deliveries run: exit 130, no child, database or key left."""
    process = _start(tmp_path, redis_url, postgres_server_url, *TINY, "--seconds", "60")
    children = Children(process, tmp_path / SPAWNED)
    try:
        seen = _read_until(process, children, "of signed deliveries")
        children.wait_for(lambda: False, timeout=2)  # into the load
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
