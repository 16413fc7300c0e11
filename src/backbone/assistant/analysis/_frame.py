"""Rows and columns (as parsed, or as read back from JSONB) as a typed DataFrame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
from pandas.api import types as ptypes  # type: ignore[import-untyped]

from backbone.assistant.analysis._errors import AnalysisError, ColumnTypeError, UnknownColumnError
from backbone.assistant.datasets import Column, ColumnType, JSONScalar

__all__ = ["column_type", "frame_from_rows", "numeric_columns", "require_column"]

_NUMERIC: tuple[ColumnType, ...] = ("integer", "number")


def _series(values: list[JSONScalar], type_: ColumnType) -> Any:
    if type_ == "integer":
        return pd.array(values, dtype="Int64")
    if type_ == "number":
        return pd.array(values, dtype="float64")
    if type_ == "boolean":
        return pd.array(values, dtype="boolean")
    if type_ == "datetime":
        # Naive UTC: values with offsets were stored in UTC, and one timezone rule
        # for the whole column keeps resampling and comparisons defined.
        parsed = pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601", utc=True)
        return parsed.dt.tz_convert(None).dt.as_unit("us").array
    return pd.array([None if value is None else str(value) for value in values], dtype="str")


def frame_from_rows(rows: Sequence[Mapping[str, JSONScalar]], columns: Sequence[Column]) -> Any:
    """A DataFrame with one column per ``Column``, its dtype from the column's type.

    integer → ``Int64`` (nullable), number → ``float64``, boolean → ``boolean``,
    datetime → ``datetime64[us]`` (naive, UTC), string → ``str``. A key a row lacks
    is a missing value; keys no column names are ignored.
    """
    data = {}
    for column in columns:
        values = [row.get(column.name) for row in rows]
        try:
            data[column.name] = _series(values, column.type)
        except (TypeError, ValueError) as exc:
            detail = f"column {column.name!r} does not hold {column.type} values"
            raise AnalysisError(detail) from exc
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def column_type(series: Any) -> ColumnType:
    """The dataset type of a frame's column, from its dtype."""
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if ptypes.is_integer_dtype(dtype):
        return "integer"
    if ptypes.is_float_dtype(dtype):
        return "number"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "string"


def numeric_columns(frame: Any) -> list[str]:
    """The integer and number columns, in frame order."""
    return [str(name) for name in frame.columns if column_type(frame[name]) in _NUMERIC]


def require_column(frame: Any, name: str, types: Sequence[ColumnType], wanted: str) -> Any:
    """The column ``name``, if the frame has it and its type is one of ``types``."""
    if name not in frame.columns:
        raise UnknownColumnError(name, [str(column) for column in frame.columns])
    series = frame[name]
    if (actual := column_type(series)) not in types:
        raise ColumnTypeError(name, actual, wanted)
    return series
