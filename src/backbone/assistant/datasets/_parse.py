"""``parse_upload``: bytes from an upload to typed rows, or a ``DatasetError`` saying why not.

The checks run cheapest first: size (413), media type (415), UTF-8 (422 with the
line), then the format's own rules (422 with the line or the item and field).
"""

from __future__ import annotations

import codecs
import dataclasses
from pathlib import PurePosixPath
from typing import Literal

from backbone.assistant.datasets._csv import parse_csv
from backbone.assistant.datasets._errors import (
    DatasetTooLargeError,
    InvalidDatasetError,
    UnsupportedMediaTypeError,
)
from backbone.assistant.datasets._json import parse_json
from backbone.assistant.datasets._model import DatasetLimits, ParsedDataset

__all__ = ["parse_upload"]

_Format = Literal["csv", "json"]

_MEDIA_TYPES: dict[str, _Format] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/json": "json",
}
_EXTENSIONS: dict[str, _Format] = {".csv": "csv", ".json": "json"}
# Browsers label an upload with the operating system's guess: Windows sends a .csv as
# application/vnd.ms-excel, and a file it does not know as application/octet-stream.
# For these (and for no content type) the file name's extension decides.
_GENERIC_TYPES = frozenset(
    {"", "application/octet-stream", "text/plain", "application/vnd.ms-excel"}
)
_UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})
_DEFAULT_LIMITS = DatasetLimits()


def _media_type(content_type: str) -> tuple[str, str | None]:
    """The media type, lower-cased, and its charset parameter if any."""
    media, *params = content_type.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def _format(filename: str | None, content_type: str | None) -> _Format:
    media, charset = _media_type(content_type or "")
    if charset is not None and charset not in _UTF8_CHARSETS:
        raise UnsupportedMediaTypeError(f"the charset {charset!r} is not supported: use UTF-8")
    if media in _MEDIA_TYPES:
        return _MEDIA_TYPES[media]
    if media not in _GENERIC_TYPES:
        detail = f"{media!r} is not supported: upload CSV (text/csv) or JSON (application/json)"
        raise UnsupportedMediaTypeError(detail)
    # Only the name's last suffix counts, whichever separator the client's OS uses.
    suffix = PurePosixPath((filename or "").replace("\\", "/")).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    raise UnsupportedMediaTypeError("upload a .csv or .json file, or say its content type")


def _decode(data: bytes) -> str:
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        detail = f"the file is not valid UTF-8 (byte {exc.start + len(data) - len(body)})"
        raise InvalidDatasetError(detail, pointer=f"line {line}") from exc


def parse_upload(
    data: bytes,
    *,
    filename: str | None,
    content_type: str | None,
    limits: DatasetLimits = _DEFAULT_LIMITS,
) -> ParsedDataset:
    """Parse an uploaded CSV or JSON file into typed, JSON-ready rows.

    The format comes from ``content_type`` (``text/csv``, ``application/csv``,
    ``application/json``); when that is absent or generic, from the file name's
    extension. Raises :class:`DatasetTooLargeError` (413),
    :class:`UnsupportedMediaTypeError` (415) or :class:`InvalidDatasetError` (422).
    """
    if len(data) > limits.max_bytes:
        detail = f"the file is {len(data)} bytes, over the limit of {limits.max_bytes}"
        raise DatasetTooLargeError(detail)
    format_ = _format(filename, content_type)
    text = _decode(data)
    if not text.strip():
        raise InvalidDatasetError("the file is empty", pointer="line 1")
    if format_ == "csv":
        return parse_csv(text, limits)
    return dataclasses.replace(parse_json(text, limits), media_type="application/json")
