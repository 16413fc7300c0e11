"""parse_upload on CSV: types, conversion, and each category of hostile content."""

from __future__ import annotations

import pytest

from backbone.assistant.datasets import (
    Column,
    DatasetLimits,
    InvalidDatasetError,
    ParsedDataset,
    parse_upload,
)


def _csv(text: str | bytes, limits: DatasetLimits | None = None) -> ParsedDataset:
    data = text.encode() if isinstance(text, str) else text
    return parse_upload(
        data, filename="data.csv", content_type="text/csv", limits=limits or DatasetLimits()
    )


def _error(text: str | bytes, limits: DatasetLimits | None = None) -> InvalidDatasetError:
    with pytest.raises(InvalidDatasetError) as caught:
        _csv(text, limits)
    assert caught.value.status == 422
    return caught.value


def test_types_are_inferred_and_values_converted() -> None:
    """Each of the five types is inferred over a column and its values converted to it."""
    dataset = _csv(
        "id,price,paid,at,city\n1,2.5,true,2024-01-05,Paris\n2,3,FALSE,2024-01-06T10:30:00,Lyon\n"
    )
    assert dataset.columns == [
        Column("id", "integer"),
        Column("price", "number"),
        Column("paid", "boolean"),
        Column("at", "datetime"),
        Column("city", "string"),
    ]
    assert dataset.rows == [
        {"id": 1, "price": 2.5, "paid": True, "at": "2024-01-05T00:00:00", "city": "Paris"},
        {"id": 2, "price": 3.0, "paid": False, "at": "2024-01-06T10:30:00", "city": "Lyon"},
    ]


def test_empty_cells_are_missing_and_do_not_decide_the_type() -> None:
    """An empty cell is None; the type comes from the other values; an all-empty column is text."""
    dataset = _csv("a,b,c\n1,,\n,2.5,\n3,,\n")
    assert [column.type for column in dataset.columns] == ["integer", "number", "string"]
    assert dataset.rows[1] == {"a": None, "b": 2.5, "c": None}


def test_utf8_bom_is_dropped_and_names_are_stripped() -> None:
    """A UTF-8 byte-order mark is not part of the first name; names lose surrounding blanks."""
    dataset = _csv(b"\xef\xbb\xbf name , value\nx,1\n")
    assert [column.name for column in dataset.columns] == ["name", "value"]


def test_quoted_fields_keep_commas_newlines_and_quotes() -> None:
    """RFC 4180 quoting: separators, line breaks and doubled quotes inside a field are data."""
    dataset = _csv('a,b\n"x, y","line 1\nline ""2"""\n')
    assert dataset.rows == [{"a": "x, y", "b": 'line 1\nline "2"'}]


@pytest.mark.parametrize(
    "cell",
    ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("http://x")', "\t=1"],
)
def test_formula_injection_cells_are_kept_as_text(cell: str) -> None:
    """A spreadsheet formula is data: kept byte for byte as a string, never evaluated."""
    quoted = '"' + cell.replace('"', '""') + '"'
    dataset = _csv(f"f,n\n{quoted},1\nplain,2\n")
    assert dataset.columns[0] == Column("f", "string")
    assert dataset.rows[0]["f"] == cell


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "2.5"], "number"),
        (["1", "x"], "string"),
        (["true", "1"], "string"),
        (["2024-01-01", "3"], "string"),
        (["2024-01-01T00:00:00", "2024-01-01T00:00:00+02:00"], "string"),
        (["yes", "no"], "string"),
        (["1e309", "2"], "string"),
        (["NaN", "2"], "string"),
        (["inf", "-Infinity"], "string"),
        (["9223372036854775808", "1"], "string"),
        (["9223372036854775807", "-9223372036854775808"], "integer"),
        (["1.5", "1e20", "-.5", "0.0"], "number"),
        (["00.5", "1"], "string"),
        (["02134", "10001"], "string"),
        (["١٢", "3"], "string"),
        (["1_000", "3"], "string"),
        (["2024-13-01", "2024-01-01"], "string"),
    ],
)
def test_mixed_or_unrepresentable_values_fall_back(values: list[str], expected: str) -> None:
    """Mixed kinds, non-finite numbers and look-alikes make the column text (or number)."""
    dataset = _csv("c\n" + "\n".join(values) + "\n")
    assert dataset.columns[0].type == expected
    if expected == "string":
        assert [row["c"] for row in dataset.rows] == values


def test_offsets_are_normalised_to_utc() -> None:
    """Offset-aware datetimes are stored in UTC, so the column has one representation."""
    dataset = _csv("t\n2024-01-01T01:00:00+02:00\n2024-01-01T00:00:00Z\n")
    assert [row["t"] for row in dataset.rows] == [
        "2023-12-31T23:00:00+00:00",
        "2024-01-01T00:00:00+00:00",
    ]


def test_ragged_rows_name_the_line() -> None:
    """A record with too many or too few fields is a 422 naming its line."""
    assert _error("a,b\n1,2\n3\n").pointer == "line 3"
    assert _error("a,b\n1,2\n3,4\n5,6,7\n").pointer == "line 4"


def test_line_numbers_count_physical_lines() -> None:
    """A quoted multi-line field moves the line numbers of later records."""
    error = _error('a,b\n"x\ny",1\n2\n')
    assert error.pointer == "line 4"


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ("a,,c\n1,2,3\n", "line 1"),
        ("a, \n1,2\n", "line 1"),
        ("a,b,a\n1,2,3\n", "line 1"),
        ("Price,price\n1,2\n", "line 1"),
    ],
)
def test_empty_or_duplicate_names_are_refused(text: str, pointer: str) -> None:
    """An empty name, or one repeated (ignoring case), is a 422 on the header line."""
    assert _error(text).pointer == pointer


def test_header_only_and_empty_files_are_refused() -> None:
    """No header, or a header without rows, is a 422."""
    assert _error("a,b\n").pointer == "line 2"
    assert _error("\n\n").detail == "the file is empty"
    assert "header" in _error("a,b").detail


def test_blank_lines_are_skipped() -> None:
    """Blank lines between records are no records (a row of empty cells is one)."""
    dataset = _csv("a,b\n\n1,2\n\n,\n")
    assert dataset.rows == [{"a": 1, "b": 2}, {"a": None, "b": None}]


def test_nul_bytes_are_refused_with_their_line() -> None:
    """NUL cannot be stored in PostgreSQL text or JSONB: a 422 naming the line."""
    assert _error(b"a,b\n1,2\n3,\x004\n").pointer == "line 3"
    assert _error(b"a\x00,b\n1,2\n").pointer == "line 1"


def test_invalid_utf8_names_the_line() -> None:
    """Bytes that are not UTF-8 (Latin-1, a lone continuation byte) are a 422 with the line."""
    error = _error(b"a,b\n1,2\ncaf\xe9,3\n")
    assert error.pointer == "line 3"
    assert "UTF-8" in error.detail


def test_huge_fields_are_refused() -> None:
    """A field over the cell limit is a 422 naming the column, and over csv's own limit too."""
    limits = DatasetLimits(max_cell_length=100)
    error = _error("a,b\n1," + "x" * 101 + "\n", limits)
    assert error.pointer == "line 2"
    assert "'b'" in error.detail
    assert _error("a\n" + "x" * 200_000 + "\n").pointer == "line 2"


def test_malformed_quoting_is_refused() -> None:
    """A quote closed in the middle of a field, or never closed, is a 422."""
    assert _error('a,b\n"x"y,1\n').pointer == "line 2"
    assert "malformed" in _error('a,b\n"x,1\n').detail


def test_row_column_and_name_limits() -> None:
    """Too many rows, too many columns, or a name too long: a 422 where it happens."""
    limits = DatasetLimits(max_rows=2, max_columns=2, max_name_length=5)
    assert _error("a\n1\n2\n3\n", limits).pointer == "line 4"
    assert "3 columns" in _error("a,b,c\n1,2,3\n", limits).detail
    assert "name of 6" in _error("abcdef\n1\n", limits).detail
    assert len(_csv("a\n1\n2\n", limits).rows) == 2
