"""The arguments of each tool: pydantic models, so an agent's call is validated once."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ColumnStatsArgs",
    "CorrelationsArgs",
    "GroupByArgs",
    "OutliersArgs",
    "Period",
    "TrendArgs",
]

Period = Literal["day", "week", "month"]

_COLUMNS = Field(default=None, max_length=200, description="Columns to use; all that fit if null.")


class _Args(BaseModel):
    # Unknown fields are refused so a misspelt argument fails loudly, not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnStatsArgs(_Args):
    """Per-column statistics: count, missing, numeric summary or most frequent values."""

    columns: list[str] | None = _COLUMNS
    top: int = Field(default=5, ge=1, le=20, description="How many frequent values to list.")


class GroupByArgs(_Args):
    """Rows per value of a categorical column, with the sum and mean of a numeric one."""

    by: str = Field(description="A text, boolean or integer column to group by.")
    value: str | None = Field(default=None, description="A numeric column to aggregate.")
    limit: int = Field(default=20, ge=1, le=100, description="How many groups to list.")


class TrendArgs(_Args):
    """A numeric column resampled over a datetime column, with its least-squares slope."""

    date: str = Field(description="The datetime column.")
    value: str = Field(description="The numeric column.")
    period: Period | None = Field(default=None, description="Inferred from the span if null.")
    aggregate: Literal["mean", "sum"] = "mean"


class OutliersArgs(_Args):
    """Values outside the IQR fences (Q1 - 1.5 IQR, Q3 + 1.5 IQR) of numeric columns."""

    columns: list[str] | None = _COLUMNS
    examples: int = Field(default=5, ge=0, le=50, description="Example rows per column.")


class CorrelationsArgs(_Args):
    """Pearson correlations between numeric columns, the strongest pairs first."""

    columns: list[str] | None = _COLUMNS
    top: int = Field(default=10, ge=1, le=100, description="How many pairs to list.")
