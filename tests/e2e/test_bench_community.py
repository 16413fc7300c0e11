"""``backbone bench community`` as a user runs it: both tables, a clean ledger, nothing left.

The benchmark gets the session's PostgreSQL server (and Redis, which the shared stores
helper also cleans); it must leave its database behind neither on success nor on Ctrl-C.
Nothing here asserts on speed: benchmarks never gate the suite.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e._processes import SPAWNED, run_collecting, table_rows, traced
from tests.e2e.test_bench_assistant import _assert_nothing_left
from tests.e2e.test_bench_reports import _columns

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

OURS = "the bot's lead handler + CRM write, 4 at once"
ROWS = [
    OURS,
    "phrase rules alone (no database)",
    "rules + one INSERT per lead, 4 at once",
    "summarize_day + render + split (local engine)",
    "the analysis alone (yake + VADER, no crew)",
]
TINY = ["--messages", "400", "--lead-share", "0.25", "--concurrency", "4"]
TINY += ["--summary-messages", "200", "--rounds", "1"]


def test_bench_community_prints_both_tables_with_a_clean_ledger(
    tmp_path: Path, redis_url: str, postgres_server_url: str
) -> None:
    """A tiny run: every path read all 400 messages and found the same 100 leads; the
    ledger has one event per lead message, none lost or counted twice; the summary made
    topics on `local`, said to be no language model; the run's database is dropped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKBONE_")}
    env.update(COLUMNS="220", REDIS_URL=redis_url, DATABASE_URL=postgres_server_url)
    process = subprocess.Popen(
        traced(tmp_path / SPAWNED, "-m", "backbone.cli", "bench", "community", *TINY),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr, children = run_collecting(process, tmp_path / SPAWNED)
    assert process.returncode == 0, stdout + stderr
    assert table_rows(stdout) == ROWS, stdout
    for row in ROWS[:3]:
        assert _columns(stdout, row)[1:3] == ["400", "100"], stdout
    assert _columns(stdout, OURS)[-1] == "1.00x", stdout
    assert re.search(
        r"ledger: 100 lead messages, 100 lead events \(100 messages\), \d+ hot leads with a"
        r" total score of 100; lost 0, duplicated 0 \(the day fed twice added 0\)",
        stdout,
    ), stdout
    assert re.search(r"\d topics, sentiment (positive|neutral|negative)", stdout), stdout
    assert "NOT a language model" in stdout
    _assert_nothing_left(stderr, children, redis_url, postgres_server_url)
