"""``backbone bench locust``: options, Locust's stats read back, the table (no stack, no Locust)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from backbone.bench import LocustOptions
from backbone.bench._locust import locust_rows, render_locust
from backbone.cli import app

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
STATS = f"""{HEADER}
GET,/v1/recommendations,120,2,4,5.1,1,31.5,800,6.0,0.1,4,5,6,7,9,12,20,28,31,31,31
SSE,/v1/tasks/[id]/events (to end),30,0,800,850,400,1900.2,0,1.5,0.0,\
800,900,1000,1100,1500,1700,1900,1900,1900,1900,1900
,Aggregated,150,2,6,170,1,1900.2,640,7.5,0.1,6,8,10,12,500,1500,1900,1900,1900,1900,1900
"""


def _text(renderable: object) -> str:
    console = Console(width=200, record=True)
    console.print(renderable)
    return console.export_text()


def test_options_refuse_nonsense() -> None:
    """Sizes below one, a spawn rate of zero, negative gateway seconds: ValueError."""
    assert LocustOptions(out=Path("x")).users == 20
    for bad in ({"users": 0}, {"seconds": 0}, {"workers": 0}, {"gateway_users": 0}):
        with pytest.raises(ValueError, match="must be >= 1"):
            LocustOptions(out=Path("x"), **bad)  # type: ignore[arg-type]
    for worse in ({"spawn_rate": 0.0}, {"gateway_seconds": -1}):
        with pytest.raises(ValueError, match="need spawn rate"):
            LocustOptions(out=Path("x"), **worse)  # type: ignore[arg-type]


def test_locustfile_found_absolute_or_said_missing(tmp_path: Path) -> None:
    """The scenario's file, absolute; a missing one names the path and the option."""
    (tmp_path / "locustfile_assistant.py").write_text("")
    options = LocustOptions(out=tmp_path, locustfiles=tmp_path)
    assert options.locustfile("assistant") == (tmp_path / "locustfile_assistant.py").resolve()
    with pytest.raises(ValueError, match=r"locustfile_gateway\.py: run from the repository's root"):
        options.locustfile("gateway")


def test_the_repositorys_locustfiles_are_where_the_default_says() -> None:
    """Run from the repository's root (as make does), the defaults find both scenarios."""
    options = LocustOptions(out=Path("x"))
    for name in ("assistant", "gateway"):
        assert options.locustfile(name).is_file()


def test_locust_rows_read_the_stats_csv(tmp_path: Path) -> None:
    """Every row of Locust's stats, the aggregate last, numbers as numbers."""
    stats = tmp_path / "x_stats.csv"
    stats.write_text(STATS)
    rows = locust_rows(stats)
    assert [row.label for row in rows] == [
        "GET /v1/recommendations",
        "SSE /v1/tasks/[id]/events (to end)",
        "all requests",
    ]
    first = rows[0]
    assert (first.requests, first.failures, first.rps) == (120, 2, 6.0)
    assert (first.p50_ms, first.p95_ms, first.p99_ms, first.max_ms) == (4, 12, 28, 31.5)


def test_render_locust_one_line_per_request_name(tmp_path: Path) -> None:
    """The table shows each name with its requests, failures and percentiles."""
    stats = tmp_path / "x_stats.csv"
    stats.write_text(STATS)
    text = _text(render_locust(locust_rows(stats), title="Locust: assistant"))
    line = next(line for line in text.splitlines() if "SSE /v1/tasks/[id]/events" in line)
    assert line.split("│")[2:9] == [
        "       30 ",
        "        0 ",
        "   1.5 ",
        "    800 ",
        "  1,700 ",
        "  1,900 ",
        "  1,900 ",
    ]
    assert "all requests" in text


def test_cli_passes_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """``backbone bench locust`` builds its options from the flags."""
    seen: list[LocustOptions] = []

    def fake(options: LocustOptions, **_: object) -> int:
        seen.append(options)
        return 0

    monkeypatch.setattr("backbone.bench.bench_locust", fake)
    args = ["bench", "locust", "--out", "o", "--users", "3", "--seconds", "5"]
    args += ["--gateway-seconds", "0", "--spawn-rate", "2", "--locustfiles", "lf"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert seen == [
        LocustOptions(
            out=Path("o"),
            users=3,
            seconds=5,
            gateway_seconds=0,
            spawn_rate=2.0,
            locustfiles=Path("lf"),
        )
    ]
