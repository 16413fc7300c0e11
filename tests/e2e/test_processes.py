"""The process-watching harness of the benchmarks' end-to-end tests, against real children.

A child is visible (``psutil``) from its fork, with its parent's command line until it
executes its own program; the benchmarks' children run a ``preexec_fn`` in between, so
a poll can land in that window. The harness must still end up with the real command.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.e2e._processes import Children, run_collecting, traced

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

# A parent that starts `python -c ... serve users` after a slow preexec_fn: for the first
# 0.5 s the child is a fork still showing the parent's command line.
PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(1.5)", "serve", "users"],
        preexec_fn=lambda: time.sleep(0.5),
    )
    child.wait()
    """
)
# A parent whose child lives a moment and is gone before most polls could see it.
QUICK = textwrap.dedent(
    """
    import subprocess, sys, time
    subprocess.run([sys.executable, "-c", "pass", "baseline-marker"], check=True)
    time.sleep(1)
    """
)


def _parent(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_a_child_seen_before_its_exec_is_known_by_its_own_command() -> None:
    """A child first polled between fork and exec is named by what it executes, not its parent."""
    stdout, stderr, children = run_collecting(_parent(PARENT))
    assert children.process.returncode == 0, stdout + stderr
    assert "users" in children.serving()
    children.assert_all_gone()


def test_wait_for_polls_until_the_child_is_seen() -> None:
    """``wait_for`` keeps polling until a condition on the children holds (or the deadline)."""
    process = _parent(PARENT)
    children = Children(process)
    try:
        assert children.wait_for(lambda: "users" in children.serving(), timeout=10)
        assert not children.wait_for(lambda: "nginx" in children.serving(), timeout=0.2)
    finally:
        process.communicate(timeout=10)
    children.assert_all_gone()


def test_a_short_lived_child_is_recorded_at_spawn_time(tmp_path: Path) -> None:
    """A child that lives well under a poll's interval is in the record afterwards."""
    log = tmp_path / "spawned.jsonl"
    process = subprocess.Popen(
        traced(log, "-c", QUICK), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr, children = run_collecting(process, log)
    assert children.process.returncode == 0, stdout + stderr
    assert any("baseline-marker" in argv for argv in children.commands()), children.commands()
