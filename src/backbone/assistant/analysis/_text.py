"""Numbers and dataset text as they appear in findings and reports.

Names and values come from an uploaded file: they are shown as bounded, one-line
code spans, so a value holding a newline, a heading or a fake "Final Answer:" cannot
change the structure of a report or pass for its text.
"""

from __future__ import annotations

__all__ = ["MISSING", "fmt", "inline", "pct"]

MISSING = "n/a"
_LIMIT = 60


def inline(value: object, limit: int = _LIMIT) -> str:
    """``value`` as a code span: one line, at most ``limit`` characters, no backtick or pipe."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = " ".join(str(value).split())
    text = "".join(char if char.isprintable() else "?" for char in text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    # A pipe would split a table cell; a backtick would close the span early.
    return "`" + text.replace("`", "'").replace("|", "¦") + "`"


def fmt(value: object) -> str:
    """A number for people: thousands separated, about four significant digits."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        return inline(value)
    magnitude = abs(value)
    if value.is_integer() and magnitude < 1e15:
        return f"{int(value):,}"
    if magnitude >= 1e15 or magnitude < 1e-4:
        return f"{value:.3e}"
    return f"{value:,.2f}" if magnitude >= 100 else f"{value:.4g}"


def pct(share: float | None) -> str:
    """A share in [0, 1] as a whole percentage (one decimal below 1%)."""
    if share is None:
        return MISSING
    return f"{share:.1%}" if 0 < share < 0.01 else f"{share:.0%}"
