"""``trend``: a numeric column per day, week or month, and the line that fits it best."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from backbone.assistant.analysis._args import Period, TrendArgs
from backbone.assistant.analysis._convert import number, quiet, stamp
from backbone.assistant.analysis._errors import InvalidArgumentsError
from backbone.assistant.analysis._frame import require_column

__all__ = ["FLAT_THRESHOLD", "MAX_PERIODS", "infer_period", "trend"]

MAX_PERIODS = 2_000
"""Resampling 300 years by day would allocate 100,000 empty bins: refused past this."""
FLAT_THRESHOLD = 0.05
"""A fitted change over the whole span below 5% of the mean magnitude is ``flat``."""

# Weeks start on Monday (ISO 8601) and every period is labelled by its first day.
_RULES: dict[Period, str] = {"day": "D", "week": "W-MON", "month": "MS"}


def infer_period(first: Any, last: Any) -> Period:
    """``day`` for spans up to 90 days, ``week`` up to two years, else ``month``."""
    days = (last - first).days
    if days <= 90:
        return "day"
    return "week" if days <= 731 else "month"


def _periods(first: Any, last: Any, period: Period) -> int:
    if period == "month":
        return int((last.year - first.year) * 12 + last.month - first.month + 1)
    days = int((last.normalize() - first.normalize()).days)
    return days + 1 if period == "day" else days // 7 + 2


def _direction(slope: float, span: int, values: Any) -> Literal["up", "down", "flat"]:
    change = slope * span
    scale = float(np.abs(values).mean())
    if abs(change) <= FLAT_THRESHOLD * scale or change == 0:
        return "flat"
    return "up" if change > 0 else "down"


def _fit(series: Any) -> dict[str, Any]:
    """Least squares over (period number, value) where the value is present."""
    x = np.arange(len(series), dtype="float64")[series.notna().to_numpy()]
    y = series.dropna().to_numpy(dtype="float64")
    if len(y) < 2:
        return {"slope": None, "intercept": None, "change": None, "direction": None}
    slope, intercept = np.polyfit(x, y, 1)
    span = int(x[-1] - x[0])
    return {
        "slope": number(slope),
        "intercept": number(intercept),
        "change": number(slope * span),
        "direction": _direction(float(slope), span, y),
    }


def _resample(data: Any, args: TrendArgs, period: Period) -> Any:
    series = data.set_index(args.date)[args.value].astype("float64").sort_index()
    resampled = series.resample(_RULES[period], label="left", closed="left")
    # An empty period is missing (None), not zero: min_count=1 keeps "no data" apart.
    return resampled.mean() if args.aggregate == "mean" else resampled.sum(min_count=1)


@quiet
def trend(frame: Any, args: TrendArgs) -> dict[str, Any]:
    """``value`` aggregated (mean or sum) per ``period`` of ``date`` (``resample()``,
    periods labelled by their first day, weeks from Monday), the period inferred from
    the span when not given. The slope is that of the least-squares line through the
    periods that have data, in value per period (x = 0, 1, 2... from the first period);
    ``change`` is the slope times the span; ``direction`` is ``flat`` when that change
    is within 5% of the mean magnitude of the points, else ``up`` or ``down``.
    """
    require_column(frame, args.date, ("datetime",), "a datetime column")
    require_column(frame, args.value, ("integer", "number"), "a numeric column")
    data = frame[[args.date, args.value]].dropna()
    result: dict[str, Any] = {"date": args.date, "value": args.value, "aggregate": args.aggregate}
    if data.empty:
        fitted = _fit(data[args.value])
        return result | {"period": args.period, "points": []} | fitted
    first, last = data[args.date].min(), data[args.date].max()
    period = args.period or infer_period(first, last)
    if (count := _periods(first, last, period)) > MAX_PERIODS:
        detail = f"the dates span {count} {period}s, over {MAX_PERIODS}: choose a longer period"
        raise InvalidArgumentsError(detail)
    series = _resample(data, args, period)
    points = [
        {"period": stamp(label), "value": number(value)}
        for label, value in zip(series.index, series.to_numpy(), strict=True)
    ]
    return result | {"period": period, "points": points} | _fit(series)
