"""JSON: a top-level array of objects whose values are scalars (or null, a missing value).

The columns are the union of the objects' keys, in the order first seen; a key an
object lacks is a missing value. Numbers must fit the types pandas computes with: an
integer within int64, a finite float. ``NaN`` / ``Infinity`` (which Python's ``json``
accepts), ``1e400`` and a 5,000-digit integer are errors naming the item and field,
unlike CSV, where such a cell is merely text. Errors point like ``[3].price``.
"""

from __future__ import annotations

import json
from typing import Any

from backbone.assistant.datasets._errors import InvalidDatasetError
from backbone.assistant.datasets._infer import (
    INT64_MAX,
    INT64_MIN,
    Kind,
    column_type,
    convert_json,
    json_kind,
)
from backbone.assistant.datasets._model import Column, DatasetLimits, JSONScalar, ParsedDataset
from backbone.assistant.datasets._names import check_name

__all__ = ["parse_json"]

_Scalar = str | int | float | bool


class _BadNumber:
    """A number json read but no column can hold; reported where it is found."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"


class _Object(dict[str, Any]):
    """A JSON object that remembers a key it saw twice (``dict`` would keep the last)."""

    __slots__ = ("duplicate",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.duplicate: str | None = None
        if len(self) < len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.duplicate = key
                    break
                seen.add(key)


def _int(text: str) -> int | _BadNumber:
    # Checked by length first: int() of a 5,000-digit string raises (and costs time).
    if len(text.lstrip("-")) > 19 or not INT64_MIN <= (value := int(text)) <= INT64_MAX:
        return _BadNumber(text)
    return value


def _float(text: str) -> float | _BadNumber:
    value = float(text)
    return value if abs(value) <= 1.7976931348623157e308 else _BadNumber(text)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "a number"


def _pointer(index: int, key: str | None = None) -> str:
    if key is None:
        return f"[{index}]"
    return f"[{index}].{key}" if key.isidentifier() else f"[{index}][{json.dumps(key)}]"


def _load(text: str) -> Any:
    try:
        return json.loads(
            text,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_BadNumber,
            object_pairs_hook=_Object,
        )
    except json.JSONDecodeError as exc:
        pointer = f"line {exc.lineno} column {exc.colno}"
        raise InvalidDatasetError(f"malformed JSON: {exc.msg}", pointer=pointer) from exc
    except RecursionError as exc:
        # Rows are flat objects: anything this deep is hostile or not a table at all.
        raise InvalidDatasetError("the JSON is nested too deeply", pointer=None) from exc


def _check_value(value: object, pointer: str, limits: DatasetLimits) -> None:
    if isinstance(value, _BadNumber):
        detail = f"the number {value.text} is out of range (int64 integers, finite floats)"
        raise InvalidDatasetError(detail, pointer=pointer)
    if isinstance(value, dict | list):
        raise InvalidDatasetError("nested values are not supported", pointer=pointer)
    if isinstance(value, str):
        if "\0" in value:
            raise InvalidDatasetError("the value contains a NUL character", pointer=pointer)
        if len(value) > limits.max_cell_length:
            detail = f"the value is {len(value)} characters long, over {limits.max_cell_length}"
            raise InvalidDatasetError(detail, pointer=pointer)


class _Columns:
    """The columns seen so far: names checked once, the kinds of their values collected."""

    def __init__(self, limits: DatasetLimits) -> None:
        self.limits = limits
        self.kinds: dict[str, set[Kind]] = {}
        self.folded: dict[str, str] = {}

    def add(self, key: str, value: _Scalar | None, pointer: str) -> None:
        if key not in self.kinds:
            self._new(key, pointer)
        if value is not None:
            self.kinds[key].add(json_kind(value))

    def _new(self, key: str, pointer: str) -> None:
        check_name(key, self.limits, pointer=pointer, position="the key")
        if (other := self.folded.get(key.casefold())) is not None:
            detail = f"the key {key!r} differs from the key {other!r} only by case"
            raise InvalidDatasetError(detail, pointer=pointer)
        if len(self.kinds) == self.limits.max_columns:
            detail = f"the objects have more than {self.limits.max_columns} distinct keys"
            raise InvalidDatasetError(detail, pointer=pointer)
        self.folded[key.casefold()] = key
        self.kinds[key] = set()


def _check_items(document: Any, limits: DatasetLimits) -> tuple[list[_Object], _Columns]:
    if not isinstance(document, list):
        raise InvalidDatasetError("the top level must be an array of objects", pointer=None)
    if not document:
        raise InvalidDatasetError("the array is empty: there are no rows", pointer=None)
    if len(document) > limits.max_rows:
        detail = f"the array has {len(document)} items, over the limit of {limits.max_rows}"
        raise InvalidDatasetError(detail, pointer=_pointer(limits.max_rows))
    columns = _Columns(limits)
    for index, item in enumerate(document):
        if not isinstance(item, _Object):
            detail = f"item {index} is {_json_type(item)}, not an object"
            raise InvalidDatasetError(detail, pointer=_pointer(index))
        if item.duplicate is not None:
            detail = f"the key {item.duplicate!r} appears twice in the object"
            raise InvalidDatasetError(detail, pointer=_pointer(index, item.duplicate))
        for key, value in item.items():
            pointer = _pointer(index, key)
            _check_value(value, pointer, limits)
            columns.add(key, value, pointer)
    return document, columns


def parse_json(text: str, limits: DatasetLimits) -> ParsedDataset:
    """Parse decoded JSON text into typed rows (errors name the item and field)."""
    items, seen = _check_items(_load(text), limits)
    types = {name: column_type(kinds) for name, kinds in seen.kinds.items()}
    rows: list[dict[str, JSONScalar]] = [
        {
            name: None if (value := item.get(name)) is None else convert_json(value, type_)
            for name, type_ in types.items()
        }
        for item in items
    ]
    return ParsedDataset(rows=rows, columns=[Column(name, type_) for name, type_ in types.items()])
