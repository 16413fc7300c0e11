"""What every benchmark's output shares: tables, ratios, verdicts, and how a run ends.

A benchmark prints its results as rich tables (the row's name first, numbers right-
aligned), compares against a baseline of the same run (:func:`ratio`), checks goals
(:func:`verdict`), and ends in one of three ways (:func:`run_bench`): results and exit
code 0, a stop signal (130) or a failure it expected (1), each said in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from rich.console import Console
from rich.table import Table
from rich.text import Text

from backbone.devstack import SignalGuard, StopRequested

__all__ = ["lower_median", "printer", "ratio", "results_table", "run_bench", "times", "verdict"]

T = TypeVar("T")


def times(quotient: float) -> str:
    """``0.70x``."""
    return f"{quotient:.2f}x"


def ratio(value: float, baseline: float | None) -> str:
    """``value / baseline`` as :func:`times` says it; ``—`` without a baseline above zero."""
    return times(value / baseline) if baseline is not None and baseline > 0 else "—"


def verdict(met: bool) -> str:
    """``met`` or ``NOT met``, of one width so that what follows lines up."""
    return "met    " if met else "NOT met"


def lower_median(items: Sequence[T], *, key: Callable[[T], float], what: str) -> T:
    """The median of ``items`` by ``key`` (the lower middle one for an even count).

    ValueError ``no <what>`` when there are none.
    """
    if not items:
        raise ValueError(f"no {what}")
    return sorted(items, key=key)[(len(items) - 1) // 2]


def results_table(
    *,
    title: str,
    label: str,
    columns: Sequence[str],
    caption: str | None = None,
    label_style: str = "bold",
) -> Table:
    """An empty table: the ``label`` column names each row, ``columns`` right-aligned."""
    table = Table(title=title, caption=caption)
    table.add_column(label, style=label_style)
    for column in columns:
        table.add_column(column, justify="right")
    return table


def printer(console: Console, style: str) -> Callable[[str], None]:
    """A function that prints a line on ``console`` in ``style`` (no markup)."""

    def say(line: str) -> None:
        console.print(Text(line, style=style))

    return say


def run_bench(
    command: str,
    measure: Callable[[SignalGuard], T],
    report: Callable[[T], None],
    *,
    err: Console,
    errors: tuple[type[Exception], ...],
) -> int:
    """Measure with stop signals guarded, then report; the exit code.

    A stop signal (Ctrl-C) is 130 and one of ``errors`` 1, each said in one line on
    ``err`` (``measure`` has stopped its children on the way out); anything else is a
    bug and propagates.
    """
    fail = printer(err, "bold red")
    with SignalGuard() as guard:
        try:
            result = measure(guard)
        except StopRequested as exc:
            fail(f"backbone bench {command}: stopped by {exc}; every child process stopped")
            return 130
        except errors as exc:
            fail(f"backbone bench {command}: {exc}")
            return 1
    report(result)
    return 0
