"""CSV: a header row, then records of exactly as many fields, read with ``csv`` strictly.

Cells are data, never formulas or markup: ``=cmd|' /C calc'!A0`` stays that exact text
(the spreadsheet that would run it is not ours; escaping it here would change the data).
An empty cell is a missing value; column names are stripped of surrounding blanks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from backbone.assistant.datasets._errors import InvalidDatasetError
from backbone.assistant.datasets._infer import Kind, column_type, convert_text, text_kind
from backbone.assistant.datasets._model import (
    Column,
    ColumnType,
    DatasetLimits,
    JSONScalar,
    ParsedDataset,
)
from backbone.assistant.datasets._names import check_names

__all__ = ["parse_csv"]


def _line_of(text: str, index: int) -> str:
    return f"line {text.count(chr(10), 0, index) + 1}"


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the line it ends on; malformed CSV is a 422."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        try:
            record = next(reader, None)
        except csv.Error as exc:
            detail = f"malformed CSV: {exc}"
            raise InvalidDatasetError(detail, pointer=f"line {reader.line_num}") from exc
        if record is None:
            return
        if record:  # a blank line is no record at all
            yield reader.line_num, record


def _check_record(
    line: int, record: list[str], header: Sequence[str], limits: DatasetLimits
) -> None:
    if len(record) != len(header):
        detail = f"the record has {len(record)} fields, the header has {len(header)}"
        raise InvalidDatasetError(detail, pointer=f"line {line}")
    for name, cell in zip(header, record, strict=True):
        if len(cell) > limits.max_cell_length:
            detail = (
                f"the value of column {name!r} is {len(cell)} characters long, "
                f"over the limit of {limits.max_cell_length}"
            )
            raise InvalidDatasetError(detail, pointer=f"line {line}")


def _infer(records: Sequence[list[str]], index: int) -> ColumnType:
    kinds: set[Kind] = set()
    for record in records:
        if cell := record[index]:
            kinds.add(text_kind(cell))
            # Past a mix that only "string" fits, the remaining cells cannot change it.
            if len(kinds) > 1 and not kinds <= {"integer", "number"}:
                return "string"
    return column_type(kinds)


def _read(text: str, limits: DatasetLimits) -> tuple[list[str], list[list[str]]]:
    """The header's names and the records, each checked against the header and limits."""
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise InvalidDatasetError("the file is empty: a header row is required", pointer="line 1")
    header_line, names = first
    header = check_names([name.strip() for name in names], limits, pointer=f"line {header_line}")
    body: list[list[str]] = []
    for line, record in records:
        if len(body) == limits.max_rows:
            detail = f"the file has more than {limits.max_rows} rows"
            raise InvalidDatasetError(detail, pointer=f"line {line}")
        _check_record(line, record, header, limits)
        body.append(record)
    if not body:
        detail = "the file has a header but no rows"
        raise InvalidDatasetError(detail, pointer=f"line {header_line + 1}")
    return header, body


def parse_csv(text: str, limits: DatasetLimits) -> ParsedDataset:
    """Parse decoded CSV text into typed rows (errors name the line that failed)."""
    # PostgreSQL text and JSONB cannot hold U+0000, and no honest CSV contains it.
    if (nul := text.find("\0")) >= 0:
        raise InvalidDatasetError("the file contains a NUL character", pointer=_line_of(text, nul))
    header, body = _read(text, limits)
    types = [_infer(body, index) for index in range(len(header))]
    rows: list[dict[str, JSONScalar]] = [
        {
            name: convert_text(cell, type_) if cell else None
            for name, type_, cell in zip(header, types, record, strict=True)
        }
        for record in body
    ]
    columns = [Column(name, type_) for name, type_ in zip(header, types, strict=True)]
    return ParsedDataset(rows=rows, columns=columns)
