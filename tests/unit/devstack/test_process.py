"""The one way devstack runs a child, with fakes: readiness, a child that dies or never answers.

Real children (sessions, groups, signals, SIGKILL) are tests/integration/devstack/test_process.py.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from backbone.devstack import Child, ChildError
from tests.unit.devstack.test_supervisor import FakeClock


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "svc.log"
    log.write_text("old line\nTraceback: ImportError: no module named x\n")
    return log


def _fake(code: int | None) -> types.SimpleNamespace:
    return types.SimpleNamespace(pid=4242, poll=lambda: code, send_signal=lambda _: None)


def test_wait_ready_returns_once_the_probe_answers() -> None:
    """wait_ready returns as soon as the probe is true, sleeping in between."""
    clock, answers = FakeClock(), iter([False, False, True])
    Child("svc", _fake(None)).wait_ready(
        lambda: next(answers), timeout=10, clock=clock, sleep=clock.sleep
    )
    assert clock.sleeps == [0.1, 0.1]


def test_a_child_dying_during_start_up_is_reported_with_its_log(tmp_path: Path) -> None:
    """If the child exits before it is ready, the error has its exit code and log tail."""
    clock = FakeClock()
    child = Child("svc", _fake(3), log_file=_log(tmp_path))
    with pytest.raises(
        ChildError, match=r"(?s)svc exited with code 3 during start-up.*ImportError"
    ):
        child.wait_ready(lambda: False, timeout=10, clock=clock, sleep=clock.sleep)


def test_not_ready_in_time_is_reported_with_its_log(tmp_path: Path) -> None:
    """A child that never becomes ready times out with the log tail, after ``timeout``."""
    clock = FakeClock()
    child = Child("svc", _fake(None), log_file=_log(tmp_path))
    with pytest.raises(ChildError, match=r"(?s)svc was not ready after 5s.*ImportError"):
        child.wait_ready(lambda: False, timeout=5, clock=clock, sleep=clock.sleep)
    assert 5.0 <= clock.now < 5.2


def test_check_running_reports_a_dead_child_with_its_log(tmp_path: Path) -> None:
    """The check passes while the child runs, and raises with the log's tail once it exited."""
    (tmp_path / "worker.log").write_text("Traceback: boom\n")
    Child("worker", _fake(None), log_file=tmp_path / "worker.log").check_running()
    dead = Child("worker", _fake(3), log_file=tmp_path / "worker.log")
    with pytest.raises(ChildError, match=r"worker exited with code 3; last lines of .*\nTraceback"):
        dead.check_running()
    assert str(Child("worker", _fake(3)).failure("vanished")) == "worker vanished"
