"""trend: resample() and a least-squares line, the period inferred or chosen, and the limits."""

from __future__ import annotations

import numpy as np
import pytest

from backbone.assistant.analysis import (
    MAX_PERIODS,
    ColumnTypeError,
    InvalidArgumentsError,
    TrendArgs,
    trend,
)

from ._data import frame, sales_frame


def test_points_match_resample_and_slope_matches_polyfit() -> None:
    """Each point is resample('MS').mean(); the slope and intercept are polyfit's."""
    df = sales_frame()
    result = trend(df, TrendArgs(date="date", value="units", period="month"))
    expected = (
        df.dropna(subset=["date", "units"])
        .set_index("date")["units"]
        .astype(float)
        .resample("MS")
        .mean()
    )
    assert [point["period"] for point in result["points"]] == [
        t.isoformat() for t in expected.index
    ]
    assert [point["value"] for point in result["points"]] == pytest.approx(expected.tolist())
    x = np.arange(len(expected))[expected.notna().to_numpy()]
    slope, intercept = np.polyfit(x, expected.dropna().to_numpy(), 1)
    assert result["slope"] == pytest.approx(slope)
    assert result["intercept"] == pytest.approx(intercept)
    assert result["direction"] == "up"
    assert result["change"] == pytest.approx(slope * (x[-1] - x[0]))


def test_sum_keeps_empty_periods_missing() -> None:
    """aggregate=sum totals each period; a period with no rows is None, not 0."""
    df = frame(
        {"t": "datetime", "v": "number"},
        {"t": "2024-01-01", "v": 1.0},
        {"t": "2024-01-01T12:00:00", "v": 2.0},
        {"t": "2024-01-03", "v": 4.0},
    )
    result = trend(df, TrendArgs(date="t", value="v", aggregate="sum"))
    assert result["period"] == "day"
    assert [point["value"] for point in result["points"]] == [3.0, None, 4.0]
    assert result["slope"] == pytest.approx(0.5)


def test_weeks_start_on_monday() -> None:
    """A Wednesday falls in the week labelled by its Monday."""
    df = frame(
        {"t": "datetime", "v": "integer"}, {"t": "2024-01-03", "v": 1}, {"t": "2024-01-10", "v": 2}
    )
    result = trend(df, TrendArgs(date="t", value="v", period="week"))
    assert [point["period"][:10] for point in result["points"]] == ["2024-01-01", "2024-01-08"]


@pytest.mark.parametrize(
    ("last", "period"),
    [("2024-01-01", "day"), ("2024-03-31", "day"), ("2025-01-01", "week"), ("2027-01-01", "month")],
)
def test_period_is_inferred_from_the_span(last: str, period: str) -> None:
    """Up to 90 days: day; up to two years: week; longer: month."""
    df = frame({"t": "datetime", "v": "integer"}, {"t": "2024-01-01", "v": 1}, {"t": last, "v": 2})
    assert trend(df, TrendArgs(date="t", value="v"))["period"] == period


def test_direction_flat_and_down() -> None:
    """A change within 5% of the mean magnitude is flat; a falling line is down."""
    rows = [{"t": f"2024-01-{d:02d}", "v": 100 + (d % 2)} for d in range(1, 21)]
    flat = trend(frame({"t": "datetime", "v": "integer"}, *rows), TrendArgs(date="t", value="v"))
    assert flat["direction"] == "flat"
    rows = [{"t": f"2024-01-{d:02d}", "v": 50 - d} for d in range(1, 21)]
    down = trend(frame({"t": "datetime", "v": "integer"}, *rows), TrendArgs(date="t", value="v"))
    assert (down["direction"], down["slope"]) == ("down", pytest.approx(-1.0))


def test_one_date_or_no_data_has_no_slope() -> None:
    """One period: a point but no slope; no complete row: no points, nothing is NaN."""
    one = frame(
        {"t": "datetime", "v": "number"},
        {"t": "2024-01-01", "v": 2.0},
        {"t": "2024-01-01", "v": 4.0},
    )
    result = trend(one, TrendArgs(date="t", value="v"))
    assert result["points"] == [{"period": "2024-01-01T00:00:00", "value": 3.0}]
    assert result["slope"] is result["direction"] is None
    empty = frame({"t": "datetime", "v": "number"}, {"t": "2024-01-01"}, {"v": 1.0})
    assert trend(empty, TrendArgs(date="t", value="v"))["points"] == []


def test_too_many_periods_are_refused_before_resampling() -> None:
    """Centuries by day would allocate huge bins: an InvalidArgumentsError says what to do."""
    df = frame(
        {"t": "datetime", "v": "integer"}, {"t": "1800-01-01", "v": 1}, {"t": "2024-01-01", "v": 2}
    )
    with pytest.raises(InvalidArgumentsError, match="longer period"):
        trend(df, TrendArgs(date="t", value="v", period="day"))
    with pytest.raises(InvalidArgumentsError, match=str(MAX_PERIODS)):
        trend(df, TrendArgs(date="t", value="v"))


def test_trend_needs_a_datetime_and_a_numeric_column() -> None:
    """Swapped or text columns are a ColumnTypeError naming the column."""
    df = sales_frame()
    with pytest.raises(ColumnTypeError, match="'units'"):
        trend(df, TrendArgs(date="units", value="price"))
    with pytest.raises(ColumnTypeError, match="'region'"):
        trend(df, TrendArgs(date="date", value="region"))
