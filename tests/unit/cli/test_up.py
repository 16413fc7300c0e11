"""Pieces of ``backbone up`` that need no real process: readiness waits, hosts, URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbone.cli._up import StartupError, client_host, external_urls, wait_until_ready
from tests.unit.devstack.test_supervisor import FakeClock


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "svc.log"
    log.write_text("old line\nTraceback: ImportError: no module named x\n")
    return log


def test_ready_once_the_probe_answers() -> None:
    """wait_until_ready returns as soon as the probe is true, sleeping in between."""
    clock = FakeClock()
    answers = iter([False, False, True])
    wait_until_ready(
        "svc",
        lambda: next(answers),
        exited=lambda: None,
        log_file=None,
        timeout=10,
        clock=clock,
        sleep=clock.sleep,
    )
    assert clock.sleeps == [0.1, 0.1]


def test_a_process_dying_during_start_up_is_reported_with_its_log(tmp_path: Path) -> None:
    """If the child exits before it is ready, the error has its exit code and log tail."""
    clock = FakeClock()
    with pytest.raises(StartupError, match=r"(?s)svc exited with code 3.*ImportError"):
        wait_until_ready(
            "svc",
            lambda: False,
            exited=lambda: 3,
            log_file=_log(tmp_path),
            timeout=10,
            clock=clock,
            sleep=clock.sleep,
        )


def test_not_ready_in_time_is_reported_with_its_log(tmp_path: Path) -> None:
    """A child that never becomes ready times out with the log tail, after ``timeout``."""
    clock = FakeClock()
    with pytest.raises(StartupError, match=r"(?s)svc was not ready after 5s.*ImportError"):
        wait_until_ready(
            "svc",
            lambda: False,
            exited=lambda: None,
            log_file=_log(tmp_path),
            timeout=5,
            clock=clock,
            sleep=clock.sleep,
        )
    assert 5.0 <= clock.now < 5.2


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("::", "[::1]"), ("::1", "[::1]")],
)
def test_client_host(host: str, expected: str) -> None:
    """URLs for a wildcard bind point at loopback; IPv6 hosts are bracketed."""
    assert client_host(host) == expected


def test_external_urls_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """REDIS_URL / DATABASE_URL (environment or .env) select external servers."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert external_urls() == {"redis": None, "postgres": None}
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://u:p@db/app\n")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    assert external_urls() == {
        "redis": "redis://cache:6379/0",
        "postgres": "postgresql://u:p@db/app",
    }
