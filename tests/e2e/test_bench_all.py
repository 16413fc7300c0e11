"""``backbone bench all`` (``make bench``) as a user runs it: one folder of files to open.

A short run of the client benchmark and the Locust scenarios, with the session's Redis
(a database of the test's own) and PostgreSQL: the folder, its ``latest`` link, the
index, each benchmark's output, Locust's HTML and CSV reports with every request the
assistant's scenario makes; no child, database or key left. Nothing here asserts on
speed: benchmarks never gate the suite.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
from pathlib import Path

import pytest
import redis

from tests.e2e._processes import SPAWNED, run_collecting, traced
from tests.e2e.test_bench_reports import _databases

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

LOCUSTFILES = Path(__file__).resolve().parents[1] / "load"
# Every request of the assistant's scenario (each user tries each task once at least).
WORKING = {
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/auth/token"),
    ("POST", "/v1/datasets"),
    ("POST", "/v1/tasks (analysis)"),
    ("GET", "/v1/tasks/[id]/events"),
    ("SSE", "/v1/tasks/[id]/events (to end)"),
    ("GET", "/v1/recommendations"),
    ("POST", "/v1/tasks (automation)"),
    ("GET", "/v1/tasks/[id]"),
    ("POST", "/v1/tasks/[id]/approve"),
    ("FLOW", "automation: submit to awaiting-approval"),
    ("FLOW", "automation: approve to complete"),
}


def _stats(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(newline="") as file:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(file)}


def test_bench_all_writes_one_folder_of_reports_and_leaves_nothing_behind(
    tmp_path: Path, redis_url: str, postgres_server_url: str
) -> None:
    """client and locust, briefly: OUT/<time>/ with the index, each output, Locust's HTML and
    CSV for both scenarios, every request of the assistant's without a failure; latest points
    there; the folder printed; nothing left."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKBONE_")}
    env.update(PYTHONUNBUFFERED="1", REDIS_URL=redis_url, DATABASE_URL=postgres_server_url)
    args = ["--out", "results", "--only", "client", "--only", "locust", "--seconds", "1"]
    args += ["--locust-seconds", "8", "--locust-users", "3", "--locustfiles", str(LOCUSTFILES)]
    process = subprocess.Popen(
        traced(tmp_path / SPAWNED, "-m", "backbone.cli", "bench", "all", *args),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr, children = run_collecting(process, tmp_path / SPAWNED)
    assert process.returncode == 0, stdout + stderr
    latest = tmp_path / "results" / "latest"
    folder = latest.resolve()
    assert re.fullmatch(r"\d{8}T\d{6}Z", folder.name)
    assert f"Results: {folder}" in stdout
    files = {path.name for path in folder.iterdir()}
    assert {"index.md", "bench-client.txt", "bench-locust.txt"} <= files
    for scenario in ("assistant", "gateway"):
        assert {f"locust-{scenario}.html", f"locust-{scenario}_stats.csv"} <= files
        assert "<html" in (folder / f"locust-{scenario}.html").read_text()[:2000].lower()
    index = (folder / "index.md").read_text()
    assert "| client | 0 |" in index
    assert "| locust | 0 |" in index
    assert "ResilientClient" in index
    assert "Locust: assistant, 3 users, 8 s" in index
    stats = _stats(folder / "locust-assistant_stats.csv")
    for key in WORKING:
        assert int(stats[key]["Request Count"]) > 0, (key, stats)
        assert stats[key]["Failure Count"] == "0", (key, stats, (folder / "bench-locust.txt"))
    assert _stats(folder / "locust-gateway_stats.csv")[("", "Aggregated")]["Failure Count"] == "0"
    assert any("backbone.cli bench locust" in command for command in children.commands())
    assert any("-m locust -f" in command for command in children.commands())
    children.assert_all_gone()
    log = (folder / "bench-locust.txt").read_text()
    database = re.search(r"database (backbone_bench_[0-9a-f]+)", log)
    assert database is not None, log
    assert database.group(1) not in _databases(postgres_server_url)
    with redis.Redis.from_url(redis_url) as client:
        # The Redis database is the test's alone: whatever is in it, the run left.
        assert list(client.scan_iter()) == []
