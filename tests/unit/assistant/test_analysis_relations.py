"""group_by and correlations: groupby() and corr() numbers, ordering, caps and edge cases."""

from __future__ import annotations

import itertools
import math

import pytest

from backbone.assistant.analysis import (
    ColumnTypeError,
    CorrelationsArgs,
    GroupByArgs,
    InvalidArgumentsError,
    correlations,
    group_by,
)

from ._data import frame, sales_frame


def test_groups_match_pandas_groupby() -> None:
    """count, sum and mean per group are groupby()'s; groups come largest first."""
    df = sales_frame()
    result = group_by(df, GroupByArgs(by="region", value="discount"))
    expected = df.groupby("region")["discount"].agg(["size", "sum", "mean"])
    assert result["groups_total"] == 3
    assert not result["truncated"]
    counts = [group["count"] for group in result["groups"]]
    assert counts == sorted(counts, reverse=True)
    for group in result["groups"]:
        row = expected.loc[group["key"]]
        assert group["count"] == row["size"]
        assert math.isclose(group["sum"], row["sum"])
        assert math.isclose(group["mean"], row["mean"])


def test_groups_without_value_count_rows_and_skip_missing_keys() -> None:
    """Without a value only counts are listed; rows with no key are counted apart."""
    df = frame({"k": "string"}, {"k": "a"}, {"k": None}, {"k": "b"}, {"k": "a"})
    result = group_by(df, GroupByArgs(by="k"))
    assert result["groups"] == [{"key": "a", "count": 2}, {"key": "b", "count": 1}]
    assert result["rows_without_key"] == 1


def test_groups_are_capped_and_ties_ordered_by_key() -> None:
    """At most `limit` groups are listed; equal counts are ordered by key."""
    df = frame({"k": "integer"}, *({"k": k} for k in (3, 1, 2, 5, 4, 4)))
    result = group_by(df, GroupByArgs(by="k", limit=3))
    assert [group["key"] for group in result["groups"]] == [4, 1, 2]
    assert result["truncated"]
    assert result["groups_total"] == 5


def test_a_column_called_size_or_mean_is_fine() -> None:
    """Dataset columns named like the aggregates do not collide with them."""
    df = frame(
        {"size": "string", "mean": "number"}, {"size": "L", "mean": 2.0}, {"size": "L", "mean": 4.0}
    )
    result = group_by(df, GroupByArgs(by="size", value="mean"))
    assert result["groups"] == [{"key": "L", "count": 2, "sum": 6.0, "mean": 3.0}]


def test_group_of_only_missing_values_has_no_mean() -> None:
    """A group whose values are all missing has sum 0 (pandas) and mean None (not NaN)."""
    df = frame({"k": "boolean", "v": "number"}, {"k": True, "v": None}, {"k": False, "v": 1.0})
    groups = {
        group["key"]: group for group in group_by(df, GroupByArgs(by="k", value="v"))["groups"]
    }
    assert groups[True]["mean"] is None
    assert groups[True]["sum"] == 0.0
    assert groups[False]["mean"] == 1.0


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"by": "price"}, ColumnTypeError),
        ({"by": "date"}, ColumnTypeError),
        ({"by": "region", "value": "note"}, ColumnTypeError),
        ({"by": "units", "value": "units"}, InvalidArgumentsError),
    ],
)
def test_group_by_refuses_unusable_columns(args: dict[str, str], error: type[Exception]) -> None:
    """Grouping by a float or date, aggregating text, or a column by itself: refused."""
    with pytest.raises(error):
        group_by(sales_frame(), GroupByArgs.model_validate(args))


def test_correlations_match_pandas_corr() -> None:
    """r is DataFrame.corr()'s, n the rows where both are present; strongest |r| first."""
    df = sales_frame()
    result = correlations(df, CorrelationsArgs())
    names = ["units", "price", "discount"]
    matrix = df[names].astype("float64").corr()
    assert result["columns"] == names
    assert result["pairs_total"] == 3
    for pair in result["pairs"]:
        assert math.isclose(pair["r"], matrix.loc[pair["a"], pair["b"]])
        assert pair["n"] == df[[pair["a"], pair["b"]]].dropna().shape[0]
    strengths = [abs(pair["r"]) for pair in result["pairs"]]
    assert strengths == sorted(strengths, reverse=True)
    assert {pair["a"] for pair in result["pairs"]} | {pair["b"] for pair in result["pairs"]} == set(
        names
    )
    assert all(pair["a"] != pair["b"] for pair in result["pairs"])


def test_correlations_skip_undefined_pairs_and_cap() -> None:
    """A constant column makes r undefined: counted, not listed; `top` caps the pairs."""
    rows = [{"a": i, "b": 2 * i + 1, "c": 7, "d": (i * 37) % 11} for i in range(10)]
    df = frame({"a": "integer", "b": "number", "c": "integer", "d": "integer"}, *rows)
    result = correlations(df, CorrelationsArgs(top=1))
    assert result["undefined"] == 3
    assert result["pairs_total"] == 3
    assert result["pairs"] == [{"a": "a", "b": "b", "r": pytest.approx(1.0), "n": 10}]


def test_correlations_need_two_numeric_columns() -> None:
    """Fewer than two numeric columns give no pairs; text columns are refused by name."""
    df = frame({"a": "integer", "s": "string"}, {"a": 1, "s": "x"})
    assert correlations(df, CorrelationsArgs())["pairs"] == []
    with pytest.raises(ColumnTypeError):
        correlations(df, CorrelationsArgs(columns=["a", "s"]))


def test_correlations_over_many_columns_list_every_pair_once() -> None:
    """With k columns there are k(k-1)/2 pairs, each once, never a column with itself."""
    rows = [{f"c{j}": (i * (j + 3)) % 17 + i for j in range(6)} for i in range(30)]
    df = frame({f"c{j}": "integer" for j in range(6)}, *rows)
    result = correlations(df, CorrelationsArgs(top=100))
    pairs = {(pair["a"], pair["b"]) for pair in result["pairs"]}
    assert pairs == set(itertools.combinations([f"c{j}" for j in range(6)], 2))
