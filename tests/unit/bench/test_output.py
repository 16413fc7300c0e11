"""What every benchmark's output shares: ratios, verdicts, medians, tables, how a run ends."""

from __future__ import annotations

import pytest
from rich.console import Console

from backbone.bench._output import (
    lower_median,
    printer,
    ratio,
    results_table,
    run_bench,
    times,
    verdict,
)
from backbone.devstack import SignalGuard, StopRequested


def test_ratio_and_times() -> None:
    """A quotient with two decimals and an x; a dash without a usable baseline."""
    assert times(0.7) == "0.70x"
    assert ratio(210.0, 300.0) == "0.70x"
    assert ratio(1.0, 0.0) == ratio(1.0, None) == "—"


def test_verdicts_line_up() -> None:
    """'met' is padded to the width of 'NOT met', so the goals that follow line up."""
    assert (verdict(True), verdict(False)) == ("met    ", "NOT met")


def test_lower_median() -> None:
    """The middle item by key; the lower middle one for an even count; an error for none."""
    assert lower_median([3, 1, 2], key=float, what="rounds") == 2
    assert lower_median([4, 1, 3, 2], key=float, what="rounds") == 2
    with pytest.raises(ValueError, match="no rounds for gateway"):
        lower_median([], key=float, what="rounds for gateway")


def test_results_table_names_rows_first_and_aligns_numbers_right() -> None:
    """The label column first, then the numbers' columns, right-aligned; title and caption."""
    table = results_table(title="T", caption="C", label="target", columns=("req/s", "p99 ms"))
    table.add_row("direct", "1,000", "2.00")
    assert [column.header for column in table.columns] == ["target", "req/s", "p99 ms"]
    assert [column.justify for column in table.columns] == ["left", "right", "right"]
    console = Console(record=True, width=80)
    console.print(table)
    text = console.export_text()
    assert "T" in text.splitlines()[0]
    assert "C" in text.splitlines()[-1]


def _console() -> Console:
    return Console(record=True, width=200)


def test_run_bench_reports_the_result_and_exits_0() -> None:
    """Measured under a SignalGuard, the result goes to ``report``; exit code 0."""
    reported: list[str] = []
    err = _console()

    def measure(guard: SignalGuard) -> str:
        assert isinstance(guard, SignalGuard)
        return "rows"

    code = run_bench("x", measure, reported.append, err=err, errors=(RuntimeError,))
    assert (code, reported) == (0, ["rows"])


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (StopRequested(2), 130, "backbone bench x: stopped by SIGINT; every child process stopped"),
        (RuntimeError("nginx exited"), 1, "backbone bench x: nginx exited"),
    ],
)
def test_run_bench_says_why_it_stopped(error: Exception, code: int, line: str) -> None:
    """A stop signal: 130; one of ``errors``: 1; one line on stderr, nothing reported."""
    reported: list[object] = []
    err = _console()

    def measure(guard: SignalGuard) -> object:
        raise error

    assert run_bench("x", measure, reported.append, err=err, errors=(RuntimeError,)) == code
    assert err.export_text() == line + "\n"
    assert reported == []


def test_run_bench_lets_other_errors_through() -> None:
    """An error the benchmark did not expect is a bug: it propagates."""

    def measure(guard: SignalGuard) -> object:
        raise KeyError("bug")

    with pytest.raises(KeyError, match="bug"):
        run_bench("x", measure, print, err=_console(), errors=(RuntimeError,))


def test_printer_prints_each_line_in_its_style() -> None:
    """A progress printer writes whole lines, markup-free."""
    console = Console(record=True, width=80)
    say = printer(console, "dim")
    say("round 1/3 [direct]")
    assert console.export_text() == "round 1/3 [direct]\n"
