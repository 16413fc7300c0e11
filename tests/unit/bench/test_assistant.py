"""``backbone bench assistant``: options, the rate table, the goals, the run's names (no stores)."""

from __future__ import annotations

import ipaddress

import pytest
import redis.asyncio
from rich.console import Console
from typer.testing import CliRunner

from backbone.assistant.auth.limits import AuthLimits
from backbone.assistant.config import AssistantSettings
from backbone.assistant.datasets import DatasetLimits, parse_upload
from backbone.bench import AssistantOptions
from backbone.bench._assistant_report import (
    BARE,
    OURS,
    WHOLE,
    RateRow,
    goal_lines,
    render_rates,
    worker_processes,
)
from backbone.bench._assistant_stack import BUCKETS, bucket_key, client_address
from backbone.bench._crew_baseline import DATASET, measure
from backbone.bench._reports import EndpointRow
from backbone.bench._reports_stack import Names
from backbone.cli import app


def _text(renderable: object) -> str:
    console = Console(width=200, record=True)
    console.print(renderable)
    return console.export_text()


def _latency(p99: float = 12.0, errors: int = 0) -> list[EndpointRow]:
    return [
        EndpointRow("POST /v1/tasks", 100, 10.0, 5.0, p99, p99 + 1, errors),
        EndpointRow("GET /v1/tasks/{task_id}", 300, 30.0, 3.0, p99, p99 + 1, 0),
    ]


def _rates(ours: float, errors: int = 0) -> list[RateRow]:
    return [RateRow(OURS, 100, 100 / ours, errors), RateRow(BARE, 100, 10.0, 0)]


def test_options_refuse_nonsense() -> None:
    """Sizes below one, a negative warm-up or pause: ValueError; the defaults are the issue's."""
    assert AssistantOptions().users == 50
    for bad in ({"users": 0}, {"seconds": 0}, {"tasks": 0}, {"workers": 0}):
        with pytest.raises(ValueError, match="must be >= 1"):
            AssistantOptions(**bad)  # type: ignore[arg-type]
    for bad_pause in ({"warmup": -1}, {"think": -0.5}):
        with pytest.raises(ValueError, match=">= 0"):
            AssistantOptions(**bad_pause)  # type: ignore[arg-type]


def test_rate_row_rate() -> None:
    """Analyses per second; zero seconds is no rate rather than a division by zero."""
    assert RateRow(OURS, 30, 10.0, 0).rate == 3.0
    assert RateRow(OURS, 30, 0.0, 0).rate == 0.0


def test_render_rates_compares_each_way_with_the_bare_kickoff() -> None:
    """Each row with its analyses/s and its ratio to the bare run_crew row."""
    rows = [*_rates(5.0), RateRow(WHOLE, 100, 25.0, 0)]
    text = _text(render_rates(rows, title="t"))
    cells = {
        parts[1]: parts[2:-1]
        for line in text.splitlines()
        if (parts := [cell.strip() for cell in line.split("│")])[1:2] != [""] and len(parts) > 2
    }
    assert cells[OURS] == ["100", "20.00", "5.0", "0", "0.50x"]
    assert cells[BARE] == ["100", "10.00", "10.0", "0", "1.00x"]
    assert cells[WHOLE] == ["100", "25.00", "4.0", "0", "0.40x"]
    assert "—" in _text(render_rates([RateRow(OURS, 1, 1.0, 0)], title="t"))


def test_goal_lines_all_met_and_say_the_engine_is_no_model() -> None:
    """Goals met: each line says so; the per-process share and the engine are said plainly."""
    lines = goal_lines(_latency(), _rates(6.0), users=50, busy=2, workers=2, cpus=2)
    text = "\n".join(lines)
    assert "NOT met" not in text
    assert "met      POST /v1/tasks p99 <= 50 ms at 50 users: 12.00 ms" in text
    assert "analyses/s >= 0.50x bare run_crew: 0.60x (6.0 vs 10.0 analyses/s)" in text
    assert "ours ran on 2 worker processes, the bare crew on 1 process: per process" in text
    assert "0.30x" in text
    assert "at the end of the load: 2 of 2; cores: 2." in text
    assert "NOT a language model" in text
    assert "Warning" not in text


def test_goal_lines_missed_and_warned() -> None:
    """Slow, erring, idle, oversubscribed: each goal missed and each doubt said."""
    lines = goal_lines(
        _latency(p99=80.0, errors=3), _rates(2.0, errors=1), users=50, busy=1, workers=4, cpus=2
    )
    text = "\n".join(lines)
    assert text.count("NOT met") == 4
    assert "Warning: not every worker process was busy" in text
    assert "Warning: more worker processes (4) than cores (2)." in text
    assert f"Warning: 1 errors in the analyses of {OURS}" in text
    missing = goal_lines(_latency(), _rates(2.0)[:1], users=1, busy=1, workers=1, cpus=1)
    assert "  analyses/s: not checked (a row is missing or empty)" in missing


def test_worker_processes_agrees_in_number() -> None:
    """One process, two processes."""
    assert worker_processes(1) == "1 worker process"
    assert worker_processes(2) == "2 worker processes"


def test_client_address_is_the_runs_own_loopback_address() -> None:
    """In 127.0.0.0/8, never 127.0.0.1 nor a broadcast, the same for a token, another for
    another token."""
    addresses = {client_address(Names(f"{n:012x}")) for n in range(200)}
    assert len(addresses) > 190
    for address in addresses:
        parsed = ipaddress.IPv4Address(address)
        assert parsed.is_loopback
        assert address != "127.0.0.1"
        assert all(1 <= int(octet) <= 254 for octet in address.split(".")[1:])
    assert client_address(Names("abc")) == client_address(Names("abc"))


def test_bucket_keys_are_the_assistants_own() -> None:
    """The keys the run deletes are those the assistant's limiters use, for every limit."""
    client = redis.asyncio.Redis.from_url("redis://127.0.0.1:1/0")  # never connects
    limits = AuthLimits(client, AssistantSettings(_env_file=None))  # type: ignore[call-arg]
    by_name = {
        limit.name: limit.limiter for limit in vars(limits).values() if hasattr(limit, "limiter")
    }
    assert sorted(by_name) == sorted(BUCKETS)
    for name, limiter in by_name.items():
        for key in ("bench-x-1@example.com", "127.4.5.6", "0b0e1c2d-0000-4000-8000-000000000000"):
            assert bucket_key(name, key) == limiter.bucket_key(key)


def test_the_baseline_dataset_is_one_the_api_accepts() -> None:
    """The bench's table parses as an upload: 112 rows, a date, a category, two numbers."""
    limits = DatasetLimits(max_bytes=len(DATASET), max_rows=1000, max_columns=10)
    table = parse_upload(DATASET, filename="sales.csv", content_type="text/csv", limits=limits)
    assert len(table.rows) == 112
    assert [column.name for column in table.columns] == ["date", "region", "amount", "units"]


def test_measure_counts_failures_and_not_the_warm_up() -> None:
    """Warm-up runs are not timed or counted; a run that raises is an error, not a task."""
    calls: list[int] = []

    def run() -> None:
        calls.append(1)
        if len(calls) in (4, 6):
            raise RuntimeError("boom")

    result = measure(run, 5, warmup=2)
    assert len(calls) == 7
    assert result["tasks"] == 3
    assert result["errors"] == 2
    assert result["seconds"] >= 0


def test_cli_passes_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """`bench assistant` hands its options to the benchmark and exits with its code."""
    seen: list[AssistantOptions] = []
    monkeypatch.setattr(
        "backbone.bench.bench_assistant", lambda options, **_: seen.append(options) or 3
    )
    argv = ["bench", "assistant", "--users", "5", "--seconds", "2", "--warmup", "0"]
    result = CliRunner().invoke(app, [*argv, "--think", "0", "--tasks", "7", "--workers", "3"])
    assert result.exit_code == 3, result.output
    assert seen == [AssistantOptions(5, 2, 0, 0.0, 7, 3)]
    assert CliRunner().invoke(app, ["bench", "assistant"]).exit_code == 3
    assert seen[-1] == AssistantOptions()
    assert CliRunner().invoke(app, ["bench", "assistant", "--tasks", "0"]).exit_code == 2
