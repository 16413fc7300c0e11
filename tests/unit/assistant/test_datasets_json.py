"""parse_upload on JSON: arrays of flat objects, and each category of hostile content."""

from __future__ import annotations

import json

import pytest

from backbone.assistant.datasets import (
    Column,
    DatasetLimits,
    InvalidDatasetError,
    ParsedDataset,
    parse_upload,
)


def _json(body: str | bytes, limits: DatasetLimits | None = None) -> ParsedDataset:
    data = body.encode() if isinstance(body, str) else body
    return parse_upload(
        data,
        filename="data.json",
        content_type="application/json",
        limits=limits or DatasetLimits(),
    )


def _error(body: str | bytes, limits: DatasetLimits | None = None) -> InvalidDatasetError:
    with pytest.raises(InvalidDatasetError) as caught:
        _json(body, limits)
    assert caught.value.status == 422
    return caught.value


def test_columns_are_the_union_of_keys_in_first_seen_order() -> None:
    """Keys an object lacks, and nulls, are missing values; types come from the rest."""
    dataset = _json('[{"a": 1, "b": "x"}, {"c": true, "a": null}, {"b": "y", "a": 2.5}]')
    assert dataset.columns == [
        Column("a", "number"),
        Column("b", "string"),
        Column("c", "boolean"),
    ]
    assert dataset.rows == [
        {"a": 1.0, "b": "x", "c": None},
        {"a": None, "b": None, "c": True},
        {"a": 2.5, "b": "y", "c": None},
    ]


def test_strings_are_only_ever_datetimes_or_text() -> None:
    """A JSON string of digits stays text (the sender typed it); ISO strings are datetimes."""
    dataset = _json('[{"zip": "02134", "n": "12", "t": "2024-05-01T10:00:00Z"}]')
    assert [column.type for column in dataset.columns] == ["string", "string", "datetime"]
    assert dataset.rows[0]["t"] == "2024-05-01T10:00:00+00:00"


def test_mixed_types_fall_back_to_json_text() -> None:
    """A column mixing kinds is text; non-text values become their JSON spelling."""
    dataset = _json('[{"v": 1}, {"v": "a"}, {"v": true}, {"v": 2.5}]')
    assert dataset.columns == [Column("v", "string")]
    assert [row["v"] for row in dataset.rows] == ["1", "a", "true", "2.5"]


def test_integers_within_int64_stay_integers() -> None:
    """The int64 bounds are integers; a float in the column makes it number."""
    dataset = _json(f'[{{"i": {2**63 - 1}}}, {{"i": {-(2**63)}}}]')
    assert dataset.columns == [Column("i", "integer")]
    assert dataset.rows[0]["i"] == 2**63 - 1


@pytest.mark.parametrize(
    "number",
    ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", str(2**63), "9" * 5000],
)
def test_numbers_too_big_or_not_finite_name_the_field(number: str) -> None:
    """A number no column can hold is a 422 naming the item and the field."""
    error = _error(f'[{{"a": 1}}, {{"a": 2, "price": {number}}}]')
    assert error.pointer == "[1].price"
    assert "out of range" in error.detail


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ('[{"a": 1}, 2]', "[1]"),
        ('[{"a": 1}, "x"]', "[1]"),
        ('[{"a": 1}, null]', "[1]"),
        ('[{"a": 1}, [1]]', "[1]"),
        ('[{"a": {"b": 1}}]', "[0].a"),
        ('[{"a": [1, 2]}]', "[0].a"),
        ('[{"unit price": [1]}]', '[0]["unit price"]'),
        ('[{"a": 1, "a": 2}]', "[0].a"),
        ('[{"": 1}]', '[0][""]'),
        ('[{"a": 1}, {"A": 2}]', "[1].A"),
        ('[{"a": "x\\u0000y"}]', "[0].a"),
        ('[{"a\\u0000": 1}]', '[0]["a\\u0000"]'),
    ],
)
def test_items_that_are_not_flat_objects_name_the_item_and_field(body: str, pointer: str) -> None:
    """Non-objects, nested values, duplicate or empty keys, NUL: a 422 pointing at them."""
    assert _error(body).pointer == pointer


@pytest.mark.parametrize("body", ['{"a": 1}', "1", '"rows"', "null", "[]"])
def test_anything_but_a_non_empty_array_is_refused(body: str) -> None:
    """The top level must be a non-empty array."""
    assert _error(body).pointer is None


def test_deep_nesting_is_a_422_not_a_crash() -> None:
    """100,000 nested arrays or objects: a clear 422, not a RecursionError."""
    assert "nested too deeply" in _error("[" * 100_000 + "]" * 100_000).detail
    assert "nested too deeply" in _error('{"a":' * 100_000 + "1" + "}" * 100_000).detail


def test_malformed_json_names_line_and_column() -> None:
    """A syntax error is a 422 with the line and column json reports."""
    error = _error('[\n  {"a": 1},\n  {"a": }\n]')
    assert error.pointer == "line 3 column 9"


def test_limits_apply_to_items_keys_names_and_values() -> None:
    """Too many items, too many keys, a long key or a long value: a 422 where it is."""
    limits = DatasetLimits(max_rows=2, max_columns=2, max_name_length=3, max_cell_length=4)
    assert _error('[{"a": 1}, {"a": 2}, {"a": 3}]', limits).pointer == "[2]"
    assert _error('[{"a": 1, "b": 2}, {"c": 3}]', limits).pointer == "[1].c"
    assert _error('[{"abcd": 1}]', limits).pointer == "[0].abcd"
    assert _error('[{"a": "12345"}]', limits).pointer == "[0].a"


def test_round_trip_is_json_ready() -> None:
    """The rows serialise to strict JSON (no NaN, no datetime objects)."""
    dataset = _json('[{"a": 1.5, "t": "2024-01-01", "s": "=1+1"}, {"a": null}]')
    text = json.dumps(dataset.rows, allow_nan=False)
    assert json.loads(text) == dataset.rows
