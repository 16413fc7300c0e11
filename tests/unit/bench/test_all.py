"""``backbone bench all``: options, each benchmark's command line, the index and the
``latest`` link (no benchmark run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from backbone.bench import BENCHMARKS, AllOptions
from backbone.bench._all import Outcome, bench_argv, index, report
from backbone.cli import app


def test_options_refuse_unknown_benchmarks_and_nonsense() -> None:
    """An unknown name, none at all, or a size below one: ValueError naming the choices."""
    assert AllOptions().only == BENCHMARKS
    with pytest.raises(ValueError, match="benchmarks are client, gateway"):
        AllOptions(only=("client", "nope"))
    with pytest.raises(ValueError, match="not none"):
        AllOptions(only=())
    for bad in ({"seconds": 0}, {"locust_seconds": 0}, {"locust_users": 0}):
        with pytest.raises(ValueError, match="must be >= 1"):
            AllOptions(**bad)  # type: ignore[arg-type]


def test_the_folder_is_under_out_named_by_the_utc_time(tmp_path: Path) -> None:
    """OUT/<stamp>, absolute; the stamp is a UTC time that sorts."""
    options = AllOptions(out=tmp_path / "r")
    assert options.folder == (tmp_path / "r" / options.stamp).resolve()
    assert options.stamp.endswith("Z")
    assert len(options.stamp) == len("20261206T174500Z")


def test_each_benchmark_gets_the_runs_durations(tmp_path: Path) -> None:
    """The loads' seconds go to gateway, reports, assistant and review; Locust writes into the
    folder."""
    options = AllOptions(out=tmp_path, seconds=3, locust_seconds=7, locust_users=2)
    prefix = [sys.executable, "-m", "backbone.cli", "bench"]
    assert bench_argv("client", options) == [*prefix, "client"]
    assert bench_argv("gateway", options) == [*prefix, "gateway", "--duration", "3"]
    assert bench_argv("reports", options) == [*prefix, "reports", "--duration", "3"]
    assert bench_argv("assistant", options) == [*prefix, "assistant", "--seconds", "3"]
    assert bench_argv("review", options) == [*prefix, "review", "--seconds", "3"]
    assert bench_argv("community", options) == [*prefix, "community"]
    locust = bench_argv("locust", options)
    assert locust[: len(prefix) + 1] == [*prefix, "locust"]
    assert locust[locust.index("--out") + 1] == str(options.folder)
    assert locust[locust.index("--seconds") + 1] == "7"
    assert locust[locust.index("--users") + 1] == "2"
    assert Path(locust[locust.index("--locustfiles") + 1]).is_absolute()


def _run(tmp_path: Path, stamp: str, codes: dict[str, int]) -> tuple[AllOptions, list[Outcome]]:
    options = AllOptions(out=tmp_path / "results", only=tuple(codes), stamp=stamp)
    options.folder.mkdir(parents=True)
    outcomes = []
    for name, code in codes.items():
        output = options.folder / f"bench-{name}.txt"
        output.write_text(f"the {name} table\n")
        outcomes.append(Outcome(name, code, 12.3, output))
    (options.folder / "locust-assistant.html").write_text("<html/>")
    return options, outcomes


def test_index_names_the_machine_each_outcome_and_holds_every_table(tmp_path: Path) -> None:
    """The index: a title with the time, the cores, one line per benchmark with its file,
    the Locust reports linked, and each output in a block."""
    options, outcomes = _run(tmp_path, "20261206T174500Z", {"client": 0, "assistant": 1})
    text = index(outcomes, options)
    assert text.startswith("# Benchmarks, 20261206T174500Z\n")
    assert "cores" in text
    assert "| client | 0 | 12 | [bench-client.txt](bench-client.txt) |" in text
    assert "| assistant | 1 | 12 |" in text
    assert "Locust's reports: [locust-assistant.html](locust-assistant.html)" in text
    assert "## backbone bench assistant\n\n```text\nthe assistant table\n```" in text


def test_report_writes_the_index_points_latest_and_prints_the_folder(tmp_path: Path) -> None:
    """index.md in the folder, OUT/latest -> the newest folder (relative), the folder printed;
    exit 1 when a benchmark failed, 0 when none did."""
    console = Console(width=200, record=True)
    options, outcomes = _run(tmp_path, "20261206T174500Z", {"client": 0, "assistant": 1})
    assert report(outcomes, options, console) == 1
    assert (options.folder / "index.md").is_file()
    later, fine = _run(tmp_path, "20261206T180000Z", {"client": 0})
    assert report(fine, later, console) == 0
    link = tmp_path / "results" / "latest"
    assert link.is_symlink()
    assert str(link.readlink()) == "20261206T180000Z"
    assert (link / "index.md").is_file()
    assert f"Results: {later.folder}" in console.export_text()


def test_cli_passes_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """``backbone bench all`` builds its options from the flags; an unknown --only is refused."""
    seen: list[AllOptions] = []

    def fake(options: AllOptions, **_: object) -> int:
        seen.append(options)
        return 0

    monkeypatch.setattr("backbone.bench.bench_all", fake)
    args = ["bench", "all", "--out", "o", "--only", "client", "--only", "locust", "--seconds", "2"]
    args += ["--locust-seconds", "3", "--locust-users", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (options,) = seen
    assert (options.out, options.only, options.seconds) == (Path("o"), ("client", "locust"), 2)
    assert (options.locust_seconds, options.locust_users) == (3, 4)
    refused = CliRunner().invoke(app, ["bench", "all", "--only", "nope"])
    assert refused.exit_code == 2
    assert "benchmarks are client" in refused.output
