"""The CRM export's CSV lines and its defence against formula injection."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from backbone.community.models import MemberStatus
from backbone.community.schemas import CSV_COLUMNS, csv_lines, neutralise_formula
from backbone.community.store import MemberRow

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _row(name: str, *, joined_at: datetime | None = T0) -> MemberRow:
    return MemberRow(
        id=1,
        guild_id=2**63 - 1,
        user_id=42,
        display_name=name,
        joined_at=joined_at,
        status=MemberStatus.HOT_LEAD,
        lead_score=3,
        first_seen_at=T0,
        last_seen_at=T0,
    )


@pytest.mark.parametrize("name", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "=", "=x"])
def test_formula_starts_get_a_quote(name: str) -> None:
    """Each of OWASP's trigger characters, first, earns a leading quote."""
    assert neutralise_formula(name) == "'" + name


@pytest.mark.parametrize("name", ["Ada", "a=b", " =x", "'=x", "", "😀=1", "x\n=y"])
def test_other_names_are_left_alone(name: str) -> None:
    """A trigger character anywhere but first, or nothing to trigger: unchanged."""
    assert neutralise_formula(name) == name


def test_lines_are_rfc_4180_with_a_header() -> None:
    """CRLF line ends, the header first, ids in full, an unknown join empty."""
    text = csv_lines([_row("Ada", joined_at=None)], header=True)
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    assert text.endswith("\r\n")
    (_, row) = list(csv.reader(io.StringIO(text, newline="")))
    assert row == [
        "1",
        str(2**63 - 1),
        "42",
        "Ada",
        "hot-lead",
        "3",
        "",
        "2026-12-01T12:00:00Z",
        "2026-12-01T12:00:00Z",
    ]


def test_awkward_names_round_trip() -> None:
    """Separators, quotes and line breaks inside a name survive a CSV reader."""
    names = ["a,b", '"quoted"', "two\nlines", "cr\rlf\r\n", "x;y\tz"]
    text = csv_lines([_row(name) for name in names])
    assert [row[3] for row in csv.reader(io.StringIO(text, newline=""))] == names


def test_no_rows_no_header_is_empty() -> None:
    """A later batch with no rows adds nothing."""
    assert csv_lines([]) == ""


def test_timestamps_are_utc_with_a_z() -> None:
    """A time in another offset is written in UTC, as the JSON bodies write it."""
    paris = datetime(2026, 12, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    text = csv_lines([_row("Ada", joined_at=paris)])
    assert next(csv.reader(io.StringIO(text)))[6] == "2026-12-01T12:00:00Z"
