"""parse_upload's gatekeeping: size (413), media type (415), encoding, and the error tree."""

from __future__ import annotations

import pytest

import backbone.assistant.datasets as datasets
from backbone.assistant.datasets import (
    DatasetError,
    DatasetLimits,
    DatasetTooLargeError,
    InvalidDatasetError,
    UnsupportedMediaTypeError,
    parse_upload,
)

CSV = b"a,b\n1,2\n"
JSON = b'[{"a": 1, "b": 2}]'


def test_all_is_sorted_and_exact() -> None:
    """__all__ lists exactly the public names, sorted (constants first, as isort does)."""
    assert datasets.__all__ == sorted(datasets.__all__, key=lambda n: (not n.isupper(), n))
    assert set(datasets.__all__) == {
        "COLUMN_TYPES",
        "Column",
        "ColumnType",
        "DatasetError",
        "DatasetLimits",
        "DatasetTooLargeError",
        "InvalidDatasetError",
        "JSONScalar",
        "ParsedDataset",
        "UnsupportedMediaTypeError",
        "parse_upload",
    }


def test_exception_tree_has_one_root_with_problem_fields() -> None:
    """Every error derives from DatasetError and carries status, title, detail and pointer."""
    for cls, status in [
        (DatasetTooLargeError, 413),
        (UnsupportedMediaTypeError, 415),
        (InvalidDatasetError, 422),
    ]:
        assert issubclass(cls, DatasetError)
        error = cls("why", pointer="line 2")
        assert (error.status, error.detail, error.pointer) == (status, "why", "line 2")
        assert error.title
        assert cls.__name__ in (datasets.__doc__ or "")


def test_too_large_is_413_before_anything_is_read() -> None:
    """Over max_bytes is a 413 even when the content type is also wrong."""
    limits = DatasetLimits(max_bytes=4)
    with pytest.raises(DatasetTooLargeError) as caught:
        parse_upload(CSV, filename="x.exe", content_type="image/png", limits=limits)
    assert caught.value.status == 413
    assert parse_upload(b"a\n1\n", filename="x.csv", content_type=None, limits=limits).rows


@pytest.mark.parametrize(
    ("content_type", "filename", "body", "columns"),
    [
        ("text/csv", None, CSV, ["a", "b"]),
        ("Text/CSV; charset=UTF-8", None, CSV, ["a", "b"]),
        ("application/csv", "x.json", CSV, ["a", "b"]),
        ("application/json", "x.csv", JSON, ["a", "b"]),
        ('application/json; charset="utf-8"', None, JSON, ["a", "b"]),
        (None, "data.CSV", CSV, ["a", "b"]),
        ("application/octet-stream", "dir\\data.json", JSON, ["a", "b"]),
        ("application/vnd.ms-excel", "sales.csv", CSV, ["a", "b"]),
        ("", "x.tar.json", JSON, ["a", "b"]),
    ],
)
def test_format_from_content_type_else_extension(
    content_type: str | None, filename: str | None, body: bytes, columns: list[str]
) -> None:
    """A specific content type decides; a generic or absent one defers to the extension."""
    dataset = parse_upload(body, filename=filename, content_type=content_type)
    assert [column.name for column in dataset.columns] == columns


@pytest.mark.parametrize(
    ("content_type", "filename"),
    [
        ("image/png", "x.csv"),
        ("text/html", "x.csv"),
        ("application/xml", None),
        (None, None),
        (None, "data.xlsx"),
        (None, "csv"),
        ("application/octet-stream", "x.csv.exe"),
        ("text/csv; charset=latin-1", "x.csv"),
        ("application/json; charset=utf-16", None),
    ],
)
def test_unsupported_media_types_are_415(content_type: str | None, filename: str | None) -> None:
    """Other types, unknown extensions and charsets other than UTF-8 are a 415."""
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        parse_upload(CSV, filename=filename, content_type=content_type)
    assert caught.value.status == 415


@pytest.mark.parametrize("body", [b"", b"\xef\xbb\xbf", b"  \n\r\n\t"])
def test_empty_files_are_422(body: bytes) -> None:
    """Nothing, a lone byte-order mark, or only whitespace: the file is empty."""
    for content_type in ("text/csv", "application/json"):
        with pytest.raises(InvalidDatasetError, match="empty"):
            parse_upload(body, filename=None, content_type=content_type)


@pytest.mark.parametrize("body", [b'[{"a": "caf\xe9"}]', b"[\xed\xa0\x80]", b'[{"a": "\xc0\xaf"}]'])
def test_invalid_utf8_json_is_422(body: bytes) -> None:
    """Latin-1, an encoded surrogate, an overlong encoding: not UTF-8, a 422 with the line."""
    with pytest.raises(InvalidDatasetError) as caught:
        parse_upload(body, filename=None, content_type="application/json")
    assert caught.value.pointer == "line 1"


@pytest.mark.parametrize(
    "kwargs",
    [{"max_bytes": 0}, {"max_rows": -1}, {"max_columns": 0}, {"max_cell_length": 200_000}],
)
def test_limits_refuse_nonsense(kwargs: dict[str, int]) -> None:
    """Limits below 1, or a cell limit above csv's own field limit, are refused."""
    with pytest.raises(ValueError, match="max_"):
        DatasetLimits(**kwargs)
