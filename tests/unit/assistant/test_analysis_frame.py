"""frame_from_rows: dtypes from column types, missing values, and values that do not fit."""

from __future__ import annotations

import pandas as pd
import pytest

from backbone.assistant.analysis import AnalysisError, column_type, frame_from_rows
from backbone.assistant.datasets import Column

from ._data import frame, sales


def test_dtypes_follow_column_types() -> None:
    """integer → Int64, number → float64, boolean, datetime → datetime64[us], string → str."""
    df = frame(
        {"i": "integer", "n": "number", "b": "boolean", "t": "datetime", "s": "string"},
        {"i": 1, "n": 1.5, "b": True, "t": "2024-01-01T00:00:00", "s": "x"},
        {},
    )
    assert [str(dtype) for dtype in df.dtypes] == [
        "Int64",
        "float64",
        "boolean",
        "datetime64[us]",
        "str",
    ]
    assert df.isna().sum().tolist() == [1, 1, 1, 1, 1]
    assert [column_type(df[name]) for name in df.columns] == [
        "integer", "number", "boolean", "datetime", "string"
    ]  # fmt: skip


def test_offsets_become_naive_utc() -> None:
    """Datetimes with offsets (stored in UTC) and without are one naive UTC column."""
    df = frame({"t": "datetime"}, {"t": "2024-01-01T01:00:00+02:00"}, {"t": "2024-01-01T00:00:00"})
    assert df["t"].tolist() == [pd.Timestamp("2023-12-31T23:00"), pd.Timestamp("2024-01-01")]


def test_parsed_rows_round_trip() -> None:
    """A parsed dataset's rows become a frame with its row count and column names."""
    dataset = sales()
    df = frame_from_rows(dataset.rows, dataset.columns)
    assert len(df) == len(dataset.rows)
    assert list(df.columns) == [column.name for column in dataset.columns]
    assert df["units"].sum() == sum(row["units"] for row in dataset.rows)


def test_no_rows_and_no_columns() -> None:
    """Zero rows or zero columns give an empty frame, not an error."""
    assert frame_from_rows([], [Column("a", "integer")]).shape == (0, 1)
    assert frame_from_rows([{"a": 1}], []).shape == (1, 0)


@pytest.mark.parametrize(
    ("type_", "value"),
    [("integer", "x"), ("integer", 1.5), ("number", "x"), ("datetime", "yesterday")],
)
def test_values_that_do_not_fit_their_type_are_an_analysis_error(type_: str, value: object) -> None:
    """Rows read back that do not match their column type fail clearly, not deep in pandas."""
    with pytest.raises(AnalysisError, match="does not hold"):
        frame({"c": type_}, {"c": value})
