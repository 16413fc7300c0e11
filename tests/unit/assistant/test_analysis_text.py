"""How numbers and dataset text are shown in findings and reports."""

from __future__ import annotations

import pytest

from backbone.assistant.analysis import TOOLS, ColumnStatsArgs, InvalidArgumentsError, OutliersArgs
from backbone.assistant.analysis._text import MISSING, fmt, inline, pct


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, MISSING),
        (True, "true"),
        (1234567, "1,234,567"),
        (3.0, "3"),
        (12.34567, "12.35"),
        (1234.567, "1,234.57"),
        (0.00001234, "1.234e-05"),
        (1e20, "1.000e+20"),
        ("x", "`x`"),
    ],
)
def test_fmt(value: object, shown: str) -> None:
    """Integers get separators, floats about four significant digits, extremes exponents."""
    assert fmt(value) == shown


def test_pct_and_inline() -> None:
    """Shares are whole percents (one decimal under 1%); text is one bounded code span."""
    assert (pct(None), pct(0.5), pct(0.004)) == (MISSING, "50%", "0.4%")
    assert inline("a`b|c\nd\x07") == "`a'b¦c d?`"
    assert inline("x" * 100) == "`" + "x" * 59 + "…`"


def test_tool_descriptions_and_model_arguments() -> None:
    """Each tool describes itself; another tool's argument model is validated, and refused."""
    assert all(tool.description for tool in TOOLS.values())
    tool = TOOLS["outliers"]
    args = OutliersArgs(examples=2)
    assert tool.parse_args(args) is args
    with pytest.raises(InvalidArgumentsError, match="top"):
        tool.parse_args(ColumnStatsArgs())
