"""The parsed dataset, its columns and the limits a parse enforces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = ["COLUMN_TYPES", "Column", "ColumnType", "DatasetLimits", "JSONScalar", "ParsedDataset"]

ColumnType: TypeAlias = Literal["integer", "number", "boolean", "datetime", "string"]
COLUMN_TYPES: tuple[ColumnType, ...] = ("integer", "number", "boolean", "datetime", "string")

JSONScalar: TypeAlias = str | int | float | bool | None
"""A value of a parsed row; ``None`` is a missing value."""

# The csv module refuses fields over csv.field_size_limit() (131072 by default); the
# cell limit stays below it so the error names the column, not just the line.
_CSV_FIELD_LIMIT = 131_072


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetLimits:
    """What one upload may contain; each limit is enforced before the next row is read."""

    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 100_000
    max_columns: int = 200
    max_name_length: int = 128
    max_cell_length: int = 32_768

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_rows", "max_columns", "max_name_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not 1 <= self.max_cell_length <= _CSV_FIELD_LIMIT:
            raise ValueError(f"max_cell_length must be between 1 and {_CSV_FIELD_LIMIT}")


@dataclass(frozen=True, slots=True)
class Column:
    """A column's name and the type inferred over all of its non-missing values."""

    name: str
    type: ColumnType


@dataclass(frozen=True, slots=True)
class ParsedDataset:
    """Rows ready for a JSONB column: values converted to their column's type.

    Every row has every column as a key (``None`` where the value is missing);
    datetimes are ISO-8601 strings, in UTC when the source had offsets.
    """

    rows: list[dict[str, JSONScalar]]
    columns: list[Column]
    media_type: str = "text/csv"
    """The format it was read as (``text/csv`` or ``application/json``): what to parse
    the same bytes as again."""
