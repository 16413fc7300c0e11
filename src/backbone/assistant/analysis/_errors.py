"""The exceptions of ``backbone.assistant.analysis``.

Exception tree::

    Exception
    └── AnalysisError              the root: a tool cannot run with these arguments
        ├── UnknownColumnError     a column the dataset does not have (.column)
        ├── ColumnTypeError        a column of a type the tool cannot use (.column)
        └── InvalidArgumentsError  an unknown tool, arguments its model refuses, or a
                                   request too big to compute (a trend of 50,000 days)

The messages are written for the model that chose the arguments: they say what
would work instead, so an agent can correct its call.
"""

from __future__ import annotations

__all__ = ["AnalysisError", "ColumnTypeError", "InvalidArgumentsError", "UnknownColumnError"]


class AnalysisError(Exception):
    """The root of every exception raised by the analysis tools."""


class UnknownColumnError(AnalysisError):
    """The arguments name a column the dataset does not have."""

    def __init__(self, column: str, known: list[str]) -> None:
        self.column = column
        shown = ", ".join(repr(name) for name in known[:20])
        super().__init__(f"there is no column {column!r}; the columns are: {shown}")


class ColumnTypeError(AnalysisError):
    """The arguments name a column whose type the tool cannot use."""

    def __init__(self, column: str, actual: str, wanted: str) -> None:
        self.column = column
        super().__init__(f"column {column!r} is {actual}; this needs {wanted}")


class InvalidArgumentsError(AnalysisError):
    """An unknown tool, arguments its model refuses, or a computation too big to run."""
