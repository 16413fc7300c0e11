"""Type inference over a column's values, and conversion of the values to that type.

Each non-missing value has a *kind*; a column's type is the narrowest type every kind
fits (integers and numbers make ``number``); any other mix falls back to ``string``,
keeping the values as they came. The rules are strict on purpose, because a wrong
guess silently changes data:

- integers are ASCII digits with an optional sign, without a leading zero
  (``"02134"`` is a postcode, not 2134), within int64 (pandas' integer range; a
  longer one is an identifier, kept as text rather than rounded to a float);
- numbers are decimal notation that ``float`` reads as a *finite* value: ``"NaN"``,
  ``"inf"`` and ``"1e309"`` are text, so one of them makes its column ``string``;
- booleans are ``true`` / ``false`` in any case; ``yes``, ``1`` and ``0`` are not;
- datetimes are ISO-8601 with an extended date (``2024-05-01``, optionally a time and
  an offset); a column mixing naive and offset-aware values is ``string``.
- no sentinel strings mean "missing": ``"NA"`` is Namibia, or someone's initials.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal, TypeAlias

from backbone.assistant.datasets._model import ColumnType, JSONScalar

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "Kind",
    "column_type",
    "convert_json",
    "convert_text",
    "datetime_kind",
    "json_kind",
    "text_kind",
]

Kind: TypeAlias = Literal[
    "integer", "number", "boolean", "datetime-naive", "datetime-aware", "string"
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_INTEGER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_NUMBER = re.compile(r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE_PREFIX = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ]|$)")
_FLOAT_MAX = 1.7976931348623157e308
_SINGLE: dict[Kind, ColumnType] = {
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "datetime-naive": "datetime",
    "datetime-aware": "datetime",
    "string": "string",
}


def _datetime(text: str) -> datetime | None:
    """The ISO-8601 datetime in ``text``, in UTC if it has an offset, else None."""
    if not _DATE_PREFIX.match(text):
        return None
    try:
        value = datetime.fromisoformat(text)
        # Offsets are normalised so a column's values share one representation.
        return value.astimezone(UTC) if value.utcoffset() is not None else value
    except (ValueError, OverflowError):
        return None


def _is_finite_number(text: str) -> bool:
    return abs(float(text)) <= _FLOAT_MAX


def text_kind(text: str) -> Kind:
    """The kind of one non-empty CSV cell."""
    if _INTEGER.fullmatch(text):
        # Past int64 a whole number is an identifier more likely than a quantity, and a
        # float would round it: text. The length check spares int() a huge string.
        in_range = len(text) <= 20 and INT64_MIN <= int(text) <= INT64_MAX
        return "integer" if in_range else "string"
    if _NUMBER.fullmatch(text):
        return "number" if _is_finite_number(text) else "string"
    if text.lower() in ("true", "false"):
        return "boolean"
    return datetime_kind(text)


def datetime_kind(text: str) -> Kind:
    """``datetime-naive`` / ``datetime-aware`` if ``text`` is ISO-8601, else ``string``."""
    value = _datetime(text)
    if value is None:
        return "string"
    return "datetime-naive" if value.tzinfo is None else "datetime-aware"


def json_kind(value: str | int | float | bool) -> Kind:
    """The kind of one non-null JSON scalar; JSON strings are only ever datetimes or text."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return datetime_kind(value)


def column_type(kinds: Iterable[Kind]) -> ColumnType:
    """The narrowest type that fits every kind; ``string`` for a mix or no value at all."""
    seen = set(kinds)
    if not seen:
        return "string"
    if seen <= {"integer", "number"}:
        return "number" if "number" in seen else "integer"
    if len(seen) == 1:
        return _SINGLE[seen.pop()]
    return "string"


def _iso(text: str) -> str:
    value = _datetime(text)
    if value is None:  # pragma: no cover - only called on values classified as datetimes
        raise ValueError(f"not an ISO-8601 datetime: {text!r}")
    return value.isoformat()


def convert_text(text: str, type_: ColumnType) -> JSONScalar:
    """A CSV cell as a value of its column's type (a column's text is kept as it came)."""
    if type_ == "integer":
        return int(text)
    if type_ == "number":
        return float(text)
    if type_ == "boolean":
        return text.lower() == "true"
    if type_ == "datetime":
        return _iso(text)
    return text


def convert_json(value: str | int | float | bool, type_: ColumnType) -> JSONScalar:
    """A JSON scalar as a value of its column's type (non-text in a text column as JSON)."""
    if type_ == "number":
        return float(value)
    if type_ == "datetime":
        return _iso(str(value))
    if type_ == "string" and not isinstance(value, str):
        return json.dumps(value)
    return value
