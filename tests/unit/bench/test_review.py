"""``backbone bench review``: options, the tables, the goals, the baseline's loop, the CLI
(no stores)."""

from __future__ import annotations

import pytest
from rich.console import Console
from typer.testing import CliRunner

from backbone.bench import ReviewOptions
from backbone.bench._reports_load import Samples
from backbone.bench._review_baseline import measure
from backbone.bench._review_ledger import Ledger
from backbone.bench._review_report import (
    BARE,
    AckRow,
    RateRow,
    goal_lines,
    ours_label,
    render_acks,
    render_ledger,
    render_rates,
    summarize,
)
from backbone.cli import app

OURS = ours_label(2)


def _text(renderable: object) -> str:
    console = Console(width=220, record=True)
    console.print(renderable)
    return console.export_text()


def _cells(text: str) -> dict[str, list[str]]:
    """Each table row's cells after the first, by its first cell."""
    return {
        parts[1]: parts[2:-1]
        for line in text.splitlines()
        if (parts := [cell.strip() for cell in line.split("│")])[1:2] != [""] and len(parts) > 2
    }


def _acks(p99: float = 12.0, errors: int = 0, loop_rps: float = 500.0) -> list[AckRow]:
    """Bursts (deliveries, floor), then the closed loop (deliveries, floor)."""
    return [
        AckRow("POST /webhooks/github", 5000, 500.0, 4.0, 8.0, p99, p99 + 5, errors, 1.5),
        AckRow("GET /healthz (the floor)", 20000, 2000.0, 1.0, 2.0, 3.0, 4.0, 0, 0.25),
        AckRow("POST /webhooks/github, closed loop", 5000, loop_rps, 40.0, 80.0, 120.0, 150.0, 0),
        AckRow("GET /healthz, closed loop (the floor)", 20000, 2000.0, 9.0, 11.0, 13.0, 20.0, 0),
    ]


def _ledger(lost: int = 0) -> Ledger:
    return Ledger(6000, 6000 - lost, 6000 - lost, 0, lost, 0, 0)


def _rates(ours: float, errors: int = 0) -> list[RateRow]:
    return [RateRow(OURS, 100, 6000 / ours, errors, 120), RateRow(BARE, 100, 10.0, 0, 120)]


def test_options_refuse_nonsense() -> None:
    """Sizes below one or a negative warm-up: ValueError; the defaults are the issue's 50."""
    assert ReviewOptions() == ReviewOptions(users=50, seconds=10, warmup=2, pulls=100, workers=2)
    for bad in ({"users": 0}, {"seconds": 0}, {"pulls": 0}, {"workers": 0}):
        with pytest.raises(ValueError, match="must be >= 1"):
            ReviewOptions(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="warmup >= 0"):
        ReviewOptions(warmup=-1)


def test_summarize_gives_the_percentiles_and_the_rate() -> None:
    """p50 / p95 / p99 by nearest rank, the max, answers per second, the errors kept."""
    samples = Samples([float(n) for n in range(1, 101)], errors=2)
    row = summarize("e", samples, 4.0)
    assert row == AckRow("e", 100, 25.0, 50.0, 95.0, 99.0, 100.0, 2)
    assert summarize("e", Samples(), 0.0, cpu_ms=0.5) == AckRow("e", 0, 0.0, 0, 0, 0, 0, 0, 0.5)


def test_render_acks_puts_each_row_against_the_floor() -> None:
    """Every column of both rows, and the ratios of p99 and req/s to the floor's; no CPU
    figure is a dash."""
    rows = _acks()[:2]
    cells = _cells(_text(render_acks(rows, floor=rows[1], title="t", caption="c")))
    assert cells["POST /webhooks/github"] == [
        "5,000", "500", "4.00", "8.00", "12.00", "17.00", "0", "1.50", "4.00x", "0.25x",
    ]  # fmt: skip
    assert cells["GET /healthz (the floor)"][-3:] == ["0.25", "1.00x", "1.00x"]
    unmeasured = AckRow("e", 1, 1.0, 1.0, 1.0, 1.0, 1.0, 0)
    table = render_acks([unmeasured], floor=rows[1], title="t", caption="c")
    assert _cells(_text(table))["e"][7] == "—"


def test_render_ledger_says_how_many_were_lost() -> None:
    """One row: acknowledged, recorded, queued, consumed, lost, duplicated, unanswered."""
    cells = _cells(_text(render_ledger(_ledger(lost=2), title="t")))
    assert cells["202 queued"] == ["6,000", "5,998", "5,998", "0", "2", "0", "0"]


def test_rate_row_per_minute() -> None:
    """Reviews per minute; zero seconds is no rate rather than a division by zero."""
    assert RateRow(OURS, 30, 10.0, 0, 1).per_minute == 180.0
    assert RateRow(OURS, 30, 0.0, 0, 1).per_minute == 0.0


def test_render_rates_compares_ours_with_the_bare_build() -> None:
    """Each row with its findings, reviews/min and ratio to the bare build_review row."""
    cells = _cells(_text(render_rates(_rates(300.0), title="t")))
    assert cells[OURS] == ["100", "120", "20.00", "300.0", "0", "0.50x"]
    assert cells[BARE] == ["100", "120", "10.00", "600.0", "0", "1.00x"]
    assert "—" in _text(render_rates(_rates(300.0)[:1], title="t"))


def test_goal_lines_all_met_and_say_the_engine_is_no_model() -> None:
    """p99 under 50 ms, none lost, no error: each said met; the rates compared per process."""
    text = "\n".join(goal_lines(_acks(), _ledger(), _rates(300.0), users=50, workers=2, cpus=2))
    assert "NOT met" not in text
    assert "met      webhook acknowledgement p99 <= 50 ms with 50 deliveries at once: " in text
    assert "12.00 ms (the floor's: 3.00 ms)" in text
    assert "capacity: 500 deliveries/s with 50 clients never pausing, p99 120.00 ms" in text
    assert "met      0 lost: lost = 0 of 6,000 deliveries acknowledged" in text
    assert "50 deliveries always in flight at 500/s wait 100.0 ms on average" in text
    assert "(Little's law; the floor: 25.0 ms)" in text
    assert "300.0 through the service, 600.0 bare: 0.50x (per worker process: 0.25x)" in text
    assert "NOT a language model" in text
    assert "Warning" not in text


def test_goal_lines_missed_and_warned() -> None:
    """Slow, lossy, erring, oversubscribed, reviews unfinished: each said."""
    lines = goal_lines(
        _acks(p99=80.0, errors=3), _ledger(lost=1), _rates(300.0, errors=2),
        users=50, workers=4, cpus=2,
    )  # fmt: skip
    text = "\n".join(lines)
    assert text.count("NOT met") == 3
    assert "lost = 1 of 6,000" in text
    assert "Warning: more worker processes (4) than cores (2)." in text
    assert f"Warning: 2 reviews of {OURS} did not complete" in text
    missing = goal_lines(_acks(), _ledger(), _rates(300.0)[1:], users=1, workers=2, cpus=1)
    assert "  reviews/min: not compared (a row is missing or empty)" in missing
    idle = _acks(loop_rps=0.0)
    assert "Little's law" not in "\n".join(
        goal_lines(idle, _ledger(), _rates(300.0), users=1, workers=1, cpus=1)
    )


def test_ours_label_agrees_in_number() -> None:
    """One process, two processes."""
    assert ours_label(1).endswith("1 process")
    assert ours_label(2).endswith("2 processes")


def test_measure_counts_failures_and_not_the_warm_up() -> None:
    """Warm-up builds are neither timed nor counted; a build that raises is an error."""
    calls: list[int] = []

    def run() -> None:
        calls.append(1)
        if len(calls) in (3, 5):
            raise RuntimeError("boom")

    result = measure(run, 4, warmup=1)
    assert len(calls) == 5
    assert (result["reviews"], result["errors"]) == (2, 2)
    assert result["seconds"] >= 0


def test_cli_passes_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """`bench review` hands its options to the benchmark and exits with its code."""
    seen: list[ReviewOptions] = []
    monkeypatch.setattr(
        "backbone.bench.bench_review", lambda options, **_: seen.append(options) or 3
    )
    argv = ["bench", "review", "--deliveries-users", "5", "--seconds", "2", "--warmup", "0"]
    result = CliRunner().invoke(app, [*argv, "--pulls", "7", "--workers", "3"])
    assert result.exit_code == 3, result.output
    assert seen == [ReviewOptions(users=5, seconds=2, warmup=0, pulls=7, workers=3)]
    assert CliRunner().invoke(app, ["bench", "review"]).exit_code == 3
    assert seen[-1] == ReviewOptions()
    assert CliRunner().invoke(app, ["bench", "review", "--pulls", "0"]).exit_code == 2
