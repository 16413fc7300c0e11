"""column_stats and outliers: every number equals pandas' own on the same data."""

from __future__ import annotations

import math

import pytest

from backbone.assistant.analysis import (
    ColumnStatsArgs,
    ColumnTypeError,
    OutliersArgs,
    UnknownColumnError,
    column_stats,
    outliers,
)

from ._data import frame, sales_frame


def _close(actual: object, expected: object) -> bool:
    return isinstance(actual, int | float) and math.isclose(actual, float(expected), rel_tol=1e-12)


def test_numeric_columns_match_describe() -> None:
    """count, mean, std (ddof=1), min, quartiles and max are describe()'s numbers."""
    df = sales_frame()
    stats = column_stats(df, ColumnStatsArgs())
    assert stats["rows"] == len(df)
    for name in ("units", "price", "discount"):
        described, column = df[name].describe(), stats["columns"][name]
        assert column["count"] == described["count"] == df[name].count()
        assert column["missing"] == df[name].isna().sum()
        for key in ("mean", "std", "min", "25%", "50%", "75%", "max"):
            assert _close(column[key], described[key]), (name, key)
    assert stats["columns"]["units"]["min"] == int(df["units"].min())
    assert isinstance(stats["columns"]["units"]["max"], int)
    assert stats["columns"]["discount"]["missing"] > 0


def test_text_and_boolean_columns_list_the_most_frequent_values() -> None:
    """unique is nunique(); top lists value_counts() in order, at most `top` of them."""
    df = sales_frame()
    stats = column_stats(df, ColumnStatsArgs(top=2))["columns"]
    counts = df["region"].value_counts()
    assert stats["region"]["unique"] == df["region"].nunique() == 3
    assert [entry["count"] for entry in stats["region"]["top"]] == counts.tolist()[:2]
    assert stats["region"]["top"][0]["value"] == counts.index[0]
    assert {entry["value"] for entry in stats["paid"]["top"]} == {True, False}
    assert stats["note"]["unique"] == len(df)
    assert len(stats["note"]["top"]) == 2


def test_ties_are_ordered_by_value() -> None:
    """Equally frequent values are listed in value order, whatever the row order."""
    df = frame({"s": "string"}, {"s": "b"}, {"s": "a"}, {"s": "c"}, {"s": "a"}, {"s": "b"})
    top = column_stats(df, ColumnStatsArgs())["columns"]["s"]["top"]
    assert top == [
        {"value": "a", "count": 2},
        {"value": "b", "count": 2},
        {"value": "c", "count": 1},
    ]


def test_datetime_columns_give_min_and_max() -> None:
    """A datetime column has its min and max as ISO-8601, like the frame's own."""
    df = sales_frame()
    column = column_stats(df, ColumnStatsArgs(columns=["date"]))["columns"]["date"]
    assert column["min"] == df["date"].min().isoformat()
    assert column["max"] == df["date"].max().isoformat()
    assert column["mean"] is None


def test_one_date_one_row_and_constant_columns() -> None:
    """One value: std is NaN in pandas, None here; a constant column has std 0."""
    df = frame(
        {"n": "number", "c": "integer", "t": "datetime"}, {"n": 2.5, "c": 4, "t": "2024-01-01"}
    )
    stats = column_stats(df, ColumnStatsArgs())["columns"]
    assert math.isnan(df["n"].std())
    assert stats["n"]["std"] is None
    assert stats["n"]["mean"] == 2.5
    assert stats["t"]["min"] == stats["t"]["max"] == "2024-01-01T00:00:00"
    constant = frame({"c": "integer"}, {"c": 3}, {"c": 3}, {"c": 3})
    assert column_stats(constant, ColumnStatsArgs())["columns"]["c"]["std"] == 0.0


def test_all_missing_columns_are_none_not_nan() -> None:
    """A column with no value at all: count 0, every statistic None, no NaN anywhere."""
    df = frame(
        {"n": "number", "i": "integer", "s": "string", "b": "boolean", "t": "datetime"}, {}, {}
    )
    stats = column_stats(df, ColumnStatsArgs())["columns"]
    for column in stats.values():
        assert column["count"] == 0
        assert column["missing"] == 2
        assert column["mean"] is column["min"] is column["max"] is None
    assert stats["s"]["top"] == []
    assert stats["n"]["25%"] is None


def test_unknown_columns_are_refused() -> None:
    """Asking for a column the dataset lacks names it and lists the real ones."""
    with pytest.raises(UnknownColumnError, match="'nope'") as caught:
        column_stats(sales_frame(), ColumnStatsArgs(columns=["nope"]))
    assert "'units'" in str(caught.value)


def test_outliers_follow_the_iqr_rule_on_pandas_quantiles() -> None:
    """Q1, Q3, IQR and the 1.5 IQR fences are quantile()'s; the count is the values beyond."""
    df = sales_frame()
    result = outliers(df, OutliersArgs())
    assert result["factor"] == 1.5
    assert set(result["columns"]) == {"units", "price", "discount"}
    for name, column in result["columns"].items():
        values = df[name].dropna().astype("float64")
        q1, q3 = values.quantile(0.25), values.quantile(0.75)
        low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        assert (column["q1"], column["q3"], column["iqr"]) == (q1, q3, q3 - q1)
        assert (column["lower_fence"], column["upper_fence"]) == (low, high)
        assert column["below"] == (values < low).sum()
        assert column["above"] == (values > high).sum()
        assert column["count"] == column["below"] + column["above"]
        assert column["share"] == column["count"] / len(values)


def test_outlier_examples_are_the_most_extreme_with_their_rows() -> None:
    """Examples are the rows beyond the fences, farthest first, at most `examples`."""
    df = sales_frame()
    price = outliers(df, OutliersArgs(columns=["price"], examples=1))["columns"]["price"]
    assert price["examples"] == [{"row": 17, "value": 900.0}]
    assert df.loc[17, "price"] == 900.0
    none = outliers(df, OutliersArgs(columns=["price"], examples=0))["columns"]["price"]
    assert none["examples"] == []


def test_outliers_edge_cases() -> None:
    """No values, one value, a constant column: no NaN, no outliers, fences where defined."""
    df = frame({"e": "number", "one": "integer", "c": "number"}, {"one": 5, "c": 1.0}, {"c": 1.0})
    columns = outliers(df, OutliersArgs())["columns"]
    assert columns["e"]["q1"] is None
    assert columns["e"]["count"] == 0
    assert columns["one"]["iqr"] == 0.0
    assert columns["one"]["count"] == 0
    assert columns["c"]["lower_fence"] == columns["c"]["upper_fence"] == 1.0


def test_outliers_refuse_non_numeric_columns_and_handle_none() -> None:
    """A text column named explicitly is a ColumnTypeError; a frame without numbers is empty."""
    df = frame({"s": "string"}, {"s": "a"})
    with pytest.raises(ColumnTypeError, match="numeric"):
        outliers(df, OutliersArgs(columns=["s"]))
    assert outliers(df, OutliersArgs())["columns"] == {}
