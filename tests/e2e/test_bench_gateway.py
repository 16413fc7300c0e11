"""``backbone bench gateway`` as a user runs it: real services, a table, nothing left running.

Nothing here asserts on speed: benchmarks never gate the suite.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e._processes import SPAWNED, Children, run_collecting, table_rows, traced

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

EXPECTED = ["direct", "gateway", "nginx"] if shutil.which("nginx") else ["direct", "gateway"]


def _start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKBONE_")}
    env.update(COLUMNS="200", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        traced(tmp_path / SPAWNED, "-m", "backbone.cli", "bench", "gateway", *args),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_bench_gateway_prints_one_row_per_target_and_stops_everything(tmp_path: Path) -> None:
    """A short run prints direct, gateway (and nginx when installed), goals, and leaves no child."""
    process = _start(tmp_path, "--duration", "1", "--rounds", "1", "--warmup", "0")
    stdout, stderr, children = run_collecting(process, tmp_path / SPAWNED)
    assert process.returncode == 0, stdout + stderr
    assert table_rows(stdout) == EXPECTED, stdout
    assert "Goals for the gateway, measured in this run against direct:" in stdout
    assert "Load generator: " in stdout
    assert set(EXPECTED[1:]) | {"users"} <= children.serving()
    children.assert_all_gone()


def test_bench_gateway_interrupted_stops_every_child(tmp_path: Path) -> None:
    """SIGINT (Ctrl-C) once the services are up: exit 130, no child left running."""
    process = _start(tmp_path, "--duration", "30", "--rounds", "3", "--warmup", "0")
    children = Children(process, tmp_path / SPAWNED)
    try:
        wanted = set(EXPECTED[1:]) | {"users"}
        started = children.wait_for(
            lambda: wanted <= children.serving() or process.poll() is not None, timeout=60
        )
        assert process.poll() is None, process.communicate()
        assert started, "the services did not start"
        time.sleep(0.5)  # each started: polled while running, so that a survivor is seen
        children.poll()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
            children.kill_alive()
    assert process.returncode == 130, stdout + stderr
    assert "every child process stopped" in stderr
    children.assert_all_gone()
