"""The one way devstack runs a child, with real processes: its own session, a log file,
its stop signal then SIGKILL of its whole group, death with its parent, the HTTP probe."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backbone.devstack import find_free_port, http_probe, spawn
from tests import _local as local

pytestmark = pytest.mark.integration

# A child that ignores SIGTERM and leaves a grandchild (which ignores it too) in its group.
STUBBORN = (
    "import signal, subprocess, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print(grandchild.pid, flush=True)\n"
    "time.sleep(60)\n"
)


def _gone(pid: int, timeout: float = 10.0) -> bool:
    """True once ``pid`` no longer runs (reaped, or a zombie nobody reaped yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def _first_line(log: Path, timeout: float = 10.0) -> str:
    """The first line the child wrote after the banner, waiting for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines()
        if len(lines) > 1:
            return lines[1]
        time.sleep(0.02)
    raise AssertionError(f"nothing in {log}: {log.read_text()!r}")


def test_spawn_runs_in_its_own_session_and_logs_after_a_banner(tmp_path: Path) -> None:
    """The child leads a new session (a Ctrl-C reaches only us); env and cwd apply; output logs."""
    log = tmp_path / "logs" / "echo.log"
    script = "import os; print(os.environ['GREETING'], os.getcwd(), os.getsid(0) == os.getpid())"
    child = spawn(
        "echo",
        [sys.executable, "-c", script],
        log_file=log,
        env={**os.environ, "GREETING": "hello"},
        cwd=tmp_path,
    )
    assert isinstance(child.process, subprocess.Popen)
    assert child.process.wait(10) == 0
    lines = log.read_text().splitlines()
    assert lines[0].startswith("--- echo starting at ")
    assert lines[1] == f"hello {tmp_path} True"


def test_stop_escalates_to_sigkill_of_the_whole_group(tmp_path: Path) -> None:
    """A child deaf to its signal is killed after the grace period, with all of its group."""
    child = spawn("stubborn", [sys.executable, "-c", STUBBORN], log_file=tmp_path / "s.log")
    grandchild = int(_first_line(tmp_path / "s.log"))
    assert child.stop(grace=0.2) is True
    assert child.poll() == -signal.SIGKILL
    assert _gone(grandchild)


def test_stop_of_a_polite_child_sends_its_signal_and_kills_nothing(tmp_path: Path) -> None:
    """A child that exits on its stop signal is not reported as killed; stopping twice is fine."""
    script = "import signal, sys, time\n"
    script += "signal.signal(signal.SIGINT, lambda *_: sys.exit(7))\nprint('up', flush=True)\n"
    script += "time.sleep(60)\n"
    child = spawn(
        "polite",
        [sys.executable, "-c", script],
        log_file=tmp_path / "p.log",
        stop_signal=signal.SIGINT,
    )
    assert _first_line(tmp_path / "p.log") == "up"
    assert child.stop(grace=10) is False
    assert child.poll() == 7
    assert child.stop(grace=10) is False


def test_die_with_parent_takes_the_child_down_with_its_parent(tmp_path: Path) -> None:
    """With die_with_parent, a child whose parent dies without a way out gets SIGTERM."""
    parent = (
        "import os, sys\nfrom pathlib import Path\nfrom backbone.devstack import spawn\n"
        "child = spawn('sleeper', [sys.executable, '-c', 'import time; time.sleep(60)'],"
        f" log_file=Path({str(tmp_path / 'sleeper.log')!r}), die_with_parent=True)\n"
        "print(child.pid, flush=True)\nos._exit(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", parent], capture_output=True, text=True, timeout=30, check=True
    )
    assert _gone(int(done.stdout))


class _Status(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ok" else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    """A threaded HTTP server on a free port: 200 on /ok, 503 elsewhere."""
    with local.http_server(_Status) as url:
        yield url


def test_http_probe_is_true_on_200_only(http_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """200 is ready; 503 and a refused connection are not; a proxy setting is ignored."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    assert http_probe(http_server + "/ok")()
    assert not http_probe(http_server + "/readyz")()
    assert not http_probe(f"http://127.0.0.1:{find_free_port()}/ok")()
