"""The ResilientClient demo script, run as a user runs it (about 3 s of real backoff each)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "resilient_client_demo.py"


def _run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DEMO), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


def _assert_story(stdout: str) -> None:
    lines = stdout.splitlines()
    assert len(lines) == 5, stdout
    match = re.fullmatch(r"GET (http://127\.0\.0\.1:\d+)/flaky/(demo-[0-9a-f]{12})  .*", lines[0])
    assert match, lines[0]
    key = match.group(2)
    assert lines[1:4] == [
        "attempt 1 failed: 503 Service Unavailable — waiting 1.0 s",
        "attempt 2 failed: 503 Service Unavailable — waiting 2.0 s",
        "attempt 3 succeeded: 200 OK",
    ]
    body = json.loads(lines[4])
    assert body["key"] == key
    assert body["attempt"] == 3
    assert isinstance(body["message"], str)


def test_demo_starts_its_own_service_and_retries_twice() -> None:
    """Two 503s, waits of 1.0 s and 2.0 s, then the success body; at least 3 s of real waiting."""
    started = time.monotonic()
    result = _run_demo()
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    _assert_story(result.stdout)
    assert elapsed >= 3.0


@pytest.fixture
def flaky_url() -> Iterator[str]:
    """A flaky service started with uvicorn in a separate process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "backbone.mocks.flaky:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_uses_a_running_service(flaky_url: str) -> None:
    """With --url the demo talks to the given service and tells the same story."""
    result = _run_demo("--url", flaky_url)
    assert result.returncode == 0, result.stderr
    _assert_story(result.stdout)
    assert result.stdout.startswith(f"GET {flaky_url}/flaky/")
