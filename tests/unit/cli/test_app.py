"""The ``backbone`` command line: commands, options and errors (no servers started)."""

from __future__ import annotations

import importlib
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from backbone.assistant.migrations import VERSIONS as ASSISTANT_VERSIONS
from backbone.cli import app
from backbone.cli._services import INFRASTRUCTURE, SERVICES
from backbone.community.migrations import VERSIONS as COMMUNITY_VERSIONS
from backbone.core.server import LimitedHttpToolsProtocol
from backbone.reports.migrations import VERSIONS as REPORT_VERSIONS
from backbone.review.migrations import VERSIONS as REVIEW_VERSIONS
from tests import _local as local


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port with a listener on it for the duration of the test."""
    with local.busy_port() as port:
        yield port


def test_help_lists_the_commands(runner: CliRunner) -> None:
    """The top-level help names up, serve and bench."""
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("up", "serve", "bench"):
        assert command in result.output


def test_serve_unknown_name_lists_known_names_and_exits_2(runner: CliRunner) -> None:
    """`serve nope` is a usage error that lists the services there are."""
    result = runner.invoke(app, ["serve", "nope"])
    assert result.exit_code == 2
    known = ", ".join(sorted(name for name, spec in SERVICES.items() if spec.is_http))
    assert f"unknown service 'nope'; known: {known}" in result.stderr


def test_serve_a_worker_names_its_command(runner: CliRunner) -> None:
    """`serve reports-worker` is refused with the command that runs it."""
    result = runner.invoke(app, ["serve", "reports-worker"])
    assert result.exit_code == 2
    assert "'reports-worker' is not an HTTP service: run `backbone worker`" in result.stderr


@pytest.mark.parametrize("name", ["flaky", "gateway"])
def test_serve_runs_the_factory_under_uvicorn(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """`serve NAME` configures logging once and runs the factory under the hardened protocol."""
    calls: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.Server.run", lambda server: calls.update(config=server.config))
    monkeypatch.setattr(
        "backbone.cli._serve.configure_logging", lambda **kw: calls.update(logging=kw)
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = runner.invoke(app, ["serve", name, "--port", str(port), "--log-level", "debug"])
    assert result.exit_code == 0, result.output
    config = calls["config"]
    assert config.app == SERVICES[name].app
    assert config.factory is True
    assert (config.host, config.port) == ("127.0.0.1", port)
    assert config.log_config is None
    assert issubclass(config.http, LimitedHttpToolsProtocol)
    assert config.proxy_headers is (name != "gateway")  # the gateway reads X-Forwarded-For
    assert calls["logging"]["level"] == "DEBUG"


def test_serve_port_from_the_environment_in_use_is_a_clear_error(
    runner: CliRunner, busy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy port (here from BACKBONE_FLAKY_PORT) is reported by number, without a traceback."""
    monkeypatch.setenv("BACKBONE_FLAKY_PORT", str(busy_port))
    result = runner.invoke(app, ["serve", "flaky"])
    assert result.exit_code == 1
    assert f"port {busy_port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.output


def test_up_unknown_only_name_exits_2(runner: CliRunner) -> None:
    """`up --only nope` is a usage error naming the known services and infrastructure."""
    result = runner.invoke(app, ["up", "--only", "nope"], env={"COLUMNS": "400"})
    assert result.exit_code == 2
    assert "known: " + ", ".join(sorted({*SERVICES, *INFRASTRUCTURE})) in result.output


def test_up_with_a_busy_port_starts_nothing_and_says_which(
    runner: CliRunner, busy_port: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Ports are checked before anything starts; a busy one is a one-line error, exit 1."""
    monkeypatch.setenv("BACKBONE_FLAKY_PORT", str(busy_port))
    data_dir = tmp_path / "data"
    result = runner.invoke(app, ["up", "--only", "flaky", "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert f"port {busy_port} (flaky) is already in use; set BACKBONE_FLAKY_PORT" in result.stderr
    assert "Traceback" not in result.output
    assert not data_dir.exists()


def test_bench_client_passes_its_options(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bench client` calls bench_client with --requests and --rounds."""
    calls: list[dict[str, int]] = []
    monkeypatch.setattr("backbone.bench.bench_client", lambda **kw: calls.append(kw))
    result = runner.invoke(app, ["bench", "client", "--requests", "7", "--rounds", "2"])
    assert result.exit_code == 0, result.output
    assert calls == [{"requests": 7, "rounds": 2}]


@pytest.fixture
def without_bench_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench extra's libraries cannot be imported, nor (so) backbone.bench."""
    # Imported first, so that every submodule is in sys.modules, and all are restored after.
    importlib.import_module("backbone.bench")

    for name in [
        n for n in sys.modules if n == "backbone.bench" or n.startswith("backbone.bench.")
    ]:
        monkeypatch.delitem(sys.modules, name)
    for extra in ("psutil", "tenacity"):
        monkeypatch.setitem(sys.modules, extra, None)


@pytest.mark.parametrize("benchmark", ["client", "gateway", "reports"])
@pytest.mark.usefixtures("without_bench_extra")
def test_bench_without_the_extra_names_it_in_one_line(runner: CliRunner, benchmark: str) -> None:
    """No traceback: exit 1 and one line that says how to install the bench extra."""
    result = runner.invoke(app, ["bench", benchmark])
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("backbone bench: needs the bench extra (no module named ")
    assert line.endswith("): pip install 'backbone[bench]'")


def test_bench_client_rejects_zero_requests(runner: CliRunner) -> None:
    """--requests must be at least 1."""
    result = runner.invoke(app, ["bench", "client", "--requests", "0"])
    assert result.exit_code == 2


def test_migrate_upgrades_the_configured_database(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`migrate` runs every service's migrations against DATABASE_URL (what docker compose
    runs first)."""
    seen: list[tuple[str, list[Path]]] = []

    def migrate(url: str, *, locations: list[Path]) -> None:
        seen.append((url, list(locations)))

    monkeypatch.setattr("backbone.core.db.migrate", migrate)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/app")
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    expected = [ASSISTANT_VERSIONS, COMMUNITY_VERSIONS, REPORT_VERSIONS, REVIEW_VERSIONS]
    assert seen == [("postgresql://u@db.example/app", expected)]


def test_migrate_without_a_database_is_a_clear_error(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without DATABASE_URL there is nothing to migrate: exit 1 and say so."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here either
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 1
    assert "DATABASE_URL" in result.output
