"""``column_stats`` and ``outliers``: one column at a time, with pandas' own statistics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backbone.assistant.analysis._args import ColumnStatsArgs, OutliersArgs
from backbone.assistant.analysis._convert import number, plain, quiet, stamp
from backbone.assistant.analysis._frame import column_type, numeric_columns, require_column
from backbone.assistant.datasets import COLUMN_TYPES

__all__ = ["IQR_FACTOR", "column_stats", "outliers"]

IQR_FACTOR = 1.5
"""Tukey's fences: values beyond 1.5 IQR outside the quartiles are outliers."""


def _numeric(series: Any, integer: bool) -> dict[str, Any]:
    summary = series.describe()
    # describe() reports min and max as floats; an integer column's are read exactly.
    low, high = (series.min(), series.max()) if integer else (summary["min"], summary["max"])
    return {
        "mean": number(summary["mean"]),
        "std": number(summary["std"]),
        "min": number(low),
        "25%": number(summary["25%"]),
        "50%": number(summary["50%"]),
        "75%": number(summary["75%"]),
        "max": number(high),
    }


def _frequent(series: Any, top: int) -> dict[str, Any]:
    counts = series.value_counts(dropna=True)
    # Ties are ordered by value so the listing does not depend on row order.
    ranked = sorted(
        ((int(n), plain(v)) for v, n in counts.items()), key=lambda p: (-p[0], str(p[1]))
    )
    return {
        "unique": len(counts),
        "top": [{"value": value, "count": count} for count, value in ranked[:top]],
    }


def _one_column(series: Any, top: int) -> dict[str, Any]:
    type_ = column_type(series)
    base: dict[str, Any] = {
        "type": type_,
        "count": int(series.count()),
        "missing": int(series.isna().sum()),
        "mean": None,
        "std": None,
        "min": None,
        "max": None,
    }
    if type_ in ("integer", "number"):
        return base | _numeric(series, integer=type_ == "integer")
    if type_ == "datetime":
        return base | {"min": stamp(series.min()), "max": stamp(series.max())}
    return base | _frequent(series, top)


def _names(frame: Any, columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        return [str(name) for name in frame.columns]
    for name in columns:
        require_column(frame, name, COLUMN_TYPES, "any type")
    return list(dict.fromkeys(columns))


@quiet
def column_stats(frame: Any, args: ColumnStatsArgs) -> dict[str, Any]:
    """Per column: type, count, missing; numeric columns add mean, std (ddof=1), min,
    quartiles and max (``describe()``); text and boolean columns add the number of
    distinct values and the ``top`` most frequent with their counts; datetime columns
    give min and max as ISO-8601. Statistics that do not exist (the std of one value,
    the mean of none) are None.
    """
    names = _names(frame, args.columns)
    return {
        "rows": len(frame),
        "columns": {name: _one_column(frame[name], args.top) for name in names},
    }


def _fences(values: Any, examples: int, series: Any) -> dict[str, Any]:
    q1, q3 = values.quantile(0.25), values.quantile(0.75)
    iqr = q3 - q1
    lower, upper = q1 - IQR_FACTOR * iqr, q3 + IQR_FACTOR * iqr
    low, high = values[values < lower], values[values > upper]
    # The most extreme first: distance beyond the fence it crosses; ties by row.
    distance = (lower - low).combine_first(high - upper).sort_values(ascending=False, kind="stable")
    return {
        "count": len(low) + len(high),
        "below": len(low),
        "above": len(high),
        "share": (len(low) + len(high)) / len(values),
        "q1": number(q1),
        "q3": number(q3),
        "iqr": number(iqr),
        "lower_fence": number(lower),
        "upper_fence": number(upper),
        "examples": [
            {"row": int(row), "value": number(series[row])} for row in distance.index[:examples]
        ],
    }


def _empty_fences() -> dict[str, Any]:
    keys = ("q1", "q3", "iqr", "lower_fence", "upper_fence")
    return (
        {"count": 0, "below": 0, "above": 0, "share": None} | dict.fromkeys(keys) | {"examples": []}
    )


@quiet
def outliers(frame: Any, args: OutliersArgs) -> dict[str, Any]:
    """Per numeric column, the IQR rule: Q1, Q3, IQR, the fences at 1.5 IQR beyond the
    quartiles (pandas' linear-interpolation quantiles), how many values fall outside
    (below, above) and up to ``examples`` of them, most extreme first, with their row.
    """
    if args.columns is None:
        names = numeric_columns(frame)
    else:
        names = list(dict.fromkeys(args.columns))
        for name in names:
            require_column(frame, name, ("integer", "number"), "a numeric column")
    result: dict[str, Any] = {}
    for name in names:
        series = frame[name]
        values = series.dropna().astype("float64")
        result[name] = _fences(values, args.examples, series) if len(values) else _empty_fences()
    return {"factor": IQR_FACTOR, "columns": result}
