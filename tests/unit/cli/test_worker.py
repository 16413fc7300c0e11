"""``backbone worker``: its flags, its help, its errors (no broker, no worker started)."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from backbone.cli import app
from backbone.cli._worker import worker_argv
from backbone.reports.config import ReportsSettings, get_settings


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test reads the reports settings from its own environment (never from .env)."""
    monkeypatch.setitem(ReportsSettings.model_config, "env_file", None)
    for name in list(os.environ):
        if name.startswith("BACKBONE_REPORTS_") or name in ("REDIS_URL", "DATABASE_URL"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Stands in for backbone.reports.worker: records the argv its Celery app is started with."""
    calls: list[list[str]] = []
    module = types.ModuleType("backbone.reports.worker")
    module.app = types.SimpleNamespace(start=lambda argv: calls.append(argv) or 0)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "backbone.reports.worker", module)
    monkeypatch.setattr("backbone.cli._worker.configure_logging", lambda **kw: None)
    return calls


def test_worker_argv_has_the_fast_safe_flags() -> None:
    """Prefork, the concurrency asked for, prefetch 1, fair, no gossip/mingle/heartbeat."""
    settings = ReportsSettings(_env_file=None, log_level="WARNING", queue="jobs")  # type: ignore[call-arg]
    argv = worker_argv(settings=settings, concurrency=3, hostname="r@%h")
    assert argv[0] == "worker"
    for flag in (
        "--queues=jobs",
        "--pool=prefork",
        "--concurrency=3",
        "--prefetch-multiplier=1",
        "--optimization=fair",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname=r@%h",
        "--loglevel=WARNING",
    ):
        assert flag in argv


def test_worker_starts_celery_with_its_options(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, started: list[list[str]]
) -> None:
    """`worker --concurrency 4` starts the Celery worker with those flags; exit code 0."""
    monkeypatch.setenv("REDIS_URL", "redis://broker.example:6379/0")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/app")
    result = runner.invoke(app, ["worker", "--concurrency", "4", "--hostname", "w1@%h"])
    assert result.exit_code == 0, result.output
    [argv] = started
    assert "--concurrency=4" in argv
    assert "--hostname=w1@%h" in argv
    assert "--loglevel=INFO" in argv
    assert "--task-events" not in argv


def test_worker_events_flag_turns_task_events_on(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, started: list[list[str]]
) -> None:
    """`worker --events` makes the worker send task events (for Flower's task views)."""
    monkeypatch.setenv("REDIS_URL", "redis://broker.example:6379/0")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/app")
    assert runner.invoke(app, ["worker", "--events"]).exit_code == 0
    assert "--task-events" in started[0]


def test_worker_concurrency_from_the_environment(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, started: list[list[str]]
) -> None:
    """BACKBONE_REPORTS_CONCURRENCY sets the default of --concurrency (2 otherwise)."""
    monkeypatch.setenv("REDIS_URL", "redis://broker.example:6379/0")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/app")
    assert runner.invoke(app, ["worker"]).exit_code == 0
    monkeypatch.setenv("BACKBONE_REPORTS_CONCURRENCY", "5")
    assert runner.invoke(app, ["worker"]).exit_code == 0
    assert "--concurrency=2" in started[0]
    assert "--concurrency=5" in started[1]


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "REDIS_URL and DATABASE_URL"),
        ({"REDIS_URL": "redis://h/0"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://u@h/db"}, "REDIS_URL"),
    ],
)
def test_worker_without_its_stores_is_a_clear_error(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    started: list[list[str]],
    env: dict[str, str],
    missing: str,
) -> None:
    """Without a broker or a database the worker does not start: exit 1 and say what to set."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 1
    assert f"backbone worker: set {missing} first" in result.stderr
    assert started == []


def test_worker_with_invalid_settings_is_a_clear_error(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, started: list[list[str]]
) -> None:
    """Limits in the wrong order are reported without a traceback."""
    monkeypatch.setenv("BACKBONE_REPORTS_JOB_SECONDS", "100")
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 1
    assert "backbone worker: invalid settings" in result.stderr
    assert "Traceback" not in result.output
    assert started == []


def test_worker_help_names_the_flags_and_flower(runner: CliRunner) -> None:
    """The help says how it runs and how to point Flower at the same broker."""
    result = runner.invoke(app, ["worker", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in (
        "--concurrency",
        "prefetch 1",
        "warm shutdown",
        "celery -A backbone.reports.worker flower",
    ):
        assert text in result.output


def test_top_level_help_lists_worker(runner: CliRunner) -> None:
    """`backbone --help` lists the worker command."""
    result = runner.invoke(app, ["--help"])
    assert "worker" in result.output
