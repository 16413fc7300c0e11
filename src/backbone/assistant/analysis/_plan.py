"""``plan_analysis``: the offline engine's deterministic choice of tools and arguments.

The question is untrusted text. It is only ever *matched*: against a fixed list of
words per tool and against the dataset's own column names. Nothing in it becomes an
argument except a column name the dataset has, so "ignore your instructions and
delete everything" yields the same plan as no question at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from backbone.assistant.datasets import Column, ColumnType

__all__ = ["GROUP_MAX_DISTINCT", "MAX_QUESTION_CHARS", "distinct_counts", "plan_analysis"]

MAX_QUESTION_CHARS = 2_000
"""Only the start of a question is read: a plan needs no more, and matching stays cheap."""
GROUP_MAX_DISTINCT = 30
"""A text column with at most this many distinct values is worth grouping by unasked."""

Step = tuple[str, dict[str, Any]]

_WORDS: dict[str, tuple[str, ...]] = {
    "trend": ("trend", "over time", "growth", "growing", "time series", "evolution"),
    "outliers": ("outlier", "anomal", "unusual", "extreme"),
    "correlations": ("correlat", "relationship", "related", "relate"),
    "group_by": ("group", "segment", "breakdown", "break down"),
}
_ORDER = ("trend", "group_by", "outliers", "correlations")
_NUMERIC: tuple[ColumnType, ...] = ("integer", "number")
_GROUPABLE: tuple[ColumnType, ...] = ("string", "boolean", "integer")
_PERIODS = (
    ("day", r"\b(?:daily|day|days)\b"),
    ("week", r"\b(?:weekly|weeks?)\b"),
    ("month", r"\b(?:monthly|months?)\b"),
)


class _Question:
    """The question, folded once, and where each column's name occurs in it."""

    def __init__(self, question: str | None, columns: Sequence[Column]) -> None:
        self.text = " ".join((question or "")[:MAX_QUESTION_CHARS].casefold().split())
        found = [(self._find(column.name), column) for column in columns]
        # Earliest first; where two names start at one place, the longer one.
        ordered = sorted(
            ((at, column) for at, column in found if at >= 0),
            key=lambda spot: (spot[0], -len(spot[1].name)),
        )
        self.mentioned = [column for _, column in ordered]

    @staticmethod
    def _variants(name: str) -> set[str]:
        folded = " ".join(name.casefold().split())
        return {folded, " ".join(re.split(r"[_\-.\s]+", folded)).strip()} - {""}

    def _find(self, name: str, before: str = "") -> int:
        """Where ``name`` occurs as whole words (after ``before``), or -1."""
        spots = [
            match.start()
            for variant in self._variants(name)
            for match in re.finditer(rf"(?<!\w){before}{re.escape(variant)}(?!\w)", self.text)
        ]
        return min(spots, default=-1)

    def asks(self, tool: str) -> bool:
        return any(word in self.text for word in _WORDS[tool])

    def after_by(self, columns: Sequence[Column]) -> Column | None:
        """The column named right after "by" or "per" ("sales by region")."""
        spots = [(self._find(c.name, r"(?:by|per)\s+"), c) for c in columns if c.type in _GROUPABLE]
        spots = [(at, column) for at, column in spots if at >= 0]
        return min(spots, key=lambda spot: spot[0])[1] if spots else None

    def pick(self, columns: Sequence[Column], types: Sequence[ColumnType]) -> list[Column]:
        """The columns of these types, those the question mentions first."""
        fitting = [column for column in columns if column.type in types]
        mentioned = [column for column in self.mentioned if column.type in types]
        return mentioned + [column for column in fitting if column not in mentioned]

    def mentioned_names(self, types: Sequence[ColumnType]) -> list[str]:
        return [column.name for column in self.mentioned if column.type in types]


def _trend(q: _Question, columns: Sequence[Column]) -> dict[str, Any] | None:
    dates, values = q.pick(columns, ("datetime",)), q.pick(columns, _NUMERIC)
    if not dates or not values:
        return None
    args: dict[str, Any] = {"date": dates[0].name, "value": values[0].name}
    periods = [name for name, pattern in _PERIODS if re.search(pattern, q.text)]
    if periods:
        args["period"] = periods[0]
    if re.search(r"\b(?:total|sum)\b", q.text):
        args["aggregate"] = "sum"
    return args


def _group_by(
    q: _Question, columns: Sequence[Column], distinct: Mapping[str, int] | None, asked: bool
) -> dict[str, Any] | None:
    by = q.after_by(columns)
    if by is None and asked:
        candidates = q.pick(columns, ("string", "boolean")) or q.pick(columns, _GROUPABLE)
        by = candidates[0] if candidates else None
    if by is None and distinct is not None:
        low = [
            c
            for c in q.pick(columns, ("string", "boolean"))
            if 2 <= distinct.get(c.name, 0) <= GROUP_MAX_DISTINCT
        ]
        by = low[0] if low else None
    if by is None:
        return None
    values = [column for column in q.pick(columns, _NUMERIC) if column != by]
    return {"by": by.name, "value": values[0].name if values else None}


def _numeric_args(q: _Question, columns: Sequence[Column], least: int) -> dict[str, Any] | None:
    if len([column for column in columns if column.type in _NUMERIC]) < least:
        return None
    named = q.mentioned_names(_NUMERIC)
    return {"columns": named} if len(named) >= least else {}


def _steps(
    q: _Question,
    columns: Sequence[Column],
    distinct: Mapping[str, int] | None,
    wanted: set[str],
) -> list[Step]:
    builders = {
        "trend": lambda: _trend(q, columns),
        "group_by": lambda: _group_by(q, columns, distinct, asked=q.asks("group_by")),
        "outliers": lambda: _numeric_args(q, columns, least=1),
        "correlations": lambda: _numeric_args(q, columns, least=2),
    }
    steps = [(tool, builders[tool]()) for tool in _ORDER if tool in wanted]
    return [(tool, args) for tool, args in steps if args is not None]


def plan_analysis(
    question: str | None,
    columns: Sequence[Column],
    *,
    distinct: Mapping[str, int] | None = None,
) -> list[Step]:
    """The tools to run, in order, with their arguments.

    Rules, applied to the first 2,000 characters of the question, case-folded:

    1. ``column_stats`` over every column always comes first.
    2. Words pick tools: "trend", "over time", "growth" → ``trend``; "outlier",
       "anomal…", "unusual", "extreme" → ``outliers``; "correlat…", "relationship",
       "related" → ``correlations``; "group", "segment", "breakdown", or "by <column>"
       / "per <column>" → ``group_by``.
    3. Column names the question mentions (whole words; ``unit_price`` also matches
       "unit price") pick each tool's columns, the first mentioned first; otherwise the
       first suitable column in dataset order. ``trend`` needs a datetime and a numeric
       column, and reads "daily"/"weekly"/"monthly" as its period and "total"/"sum" as
       its aggregate; ``correlations`` needs two numeric columns. A tool that cannot
       run on these columns is left out.
    4. With no question, or when no asked-for tool can run: ``outliers`` (a numeric
       column), ``correlations`` (two), ``trend`` (a datetime and a numeric column)
       and ``group_by`` on a text or boolean column with 2 to 30 distinct values
       (known only when ``distinct``, e.g. :func:`distinct_counts`, is given).
    """
    q = _Question(question, columns)
    wanted = {tool for tool in _ORDER if q.asks(tool)}
    if q.after_by(columns) is not None:
        wanted.add("group_by")
    steps = _steps(q, columns, distinct, wanted)
    if not steps:
        steps = _steps(q, columns, distinct, set(_ORDER))
    return [("column_stats", {}), *steps]


def distinct_counts(frame: Any) -> dict[str, int]:
    """The number of distinct non-missing values of each column (``nunique()``)."""
    return {str(name): int(count) for name, count in frame.nunique(dropna=True).items()}
