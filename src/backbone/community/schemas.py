"""What the CRM API answers: a member, a page of them, one with its lead events, and the
same members as CSV rows for a spreadsheet.

Discord's ids are strings of digits in bodies (as in Discord's own API: a snowflake has
more digits than a JavaScript number keeps); the CRM's own ``id`` is an integer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from backbone.community.models import MemberStatus
from backbone.community.store import LeadEventRow, MemberRow
from backbone.core.pagination import Page

__all__ = [
    "CSV_COLUMNS",
    "FORMULA_TRIGGERS",
    "MAX_EVENTS",
    "LeadEvent",
    "Member",
    "MemberDetail",
    "MemberPage",
    "csv_lines",
    "neutralise_formula",
    "page_of_members",
]

MAX_EVENTS = 100
"""The most lead events a member's detail shows (the newest)."""
CSV_COLUMNS = (
    "id",
    "guild_id",
    "user_id",
    "display_name",
    "status",
    "lead_score",
    "joined_at",
    "first_seen_at",
    "last_seen_at",
)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""

Snowflake = Annotated[str, Field(pattern=r"^[0-9]{1,20}$", description="A Discord id.")]


class Member(BaseModel):
    """One member of one server, as the CRM records them."""

    id: int = Field(ge=1, description="The CRM's id of the member.")
    guild_id: Snowflake
    user_id: Snowflake
    display_name: str = Field(max_length=100)
    status: MemberStatus
    lead_score: int = Field(ge=0, description="How many distinct messages matched a lead phrase.")
    joined_at: datetime | None = Field(description="When the current membership began.")
    first_seen_at: datetime
    last_seen_at: datetime

    @classmethod
    def of(cls, row: MemberRow) -> Member:
        """The member in a store's row."""
        return cls(
            id=row.id,
            guild_id=str(row.guild_id),
            user_id=str(row.user_id),
            display_name=row.display_name,
            status=row.status,
            lead_score=row.lead_score,
            joined_at=row.joined_at,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
        )


class LeadEvent(BaseModel):
    """A message that made its author a hot lead."""

    id: int = Field(ge=1)
    message_id: Snowflake
    channel_id: Snowflake
    phrase: str = Field(max_length=100, description="The lead phrase rule that matched.")
    excerpt: str = Field(max_length=200)
    at: datetime = Field(description="When the message was sent.")

    @classmethod
    def of(cls, row: LeadEventRow) -> LeadEvent:
        """The event in a store's row."""
        return cls(
            id=row.id,
            message_id=str(row.message_id),
            channel_id=str(row.channel_id),
            phrase=row.phrase,
            excerpt=row.excerpt,
            at=row.at,
        )


class MemberDetail(BaseModel):
    """A member and their newest lead events (at most :data:`MAX_EVENTS`), newest first."""

    member: Member
    lead_events: list[LeadEvent] = Field(max_length=MAX_EVENTS)
    lead_events_total: int = Field(ge=0, description="How many lead events they have in all.")


MemberPage = Page[Member]
"""One page of members, the most recently seen first."""


def page_of_members(
    rows: Sequence[MemberRow],
    *,
    total: int,
    limit: int,
    offset: int,
    filters: Mapping[str, object | None],
) -> Page[Member]:
    """The page holding ``rows`` out of ``total``; ``next`` keeps the filters."""
    items = [Member.of(row) for row in rows]
    return MemberPage.of(
        items, total=total, limit=limit, offset=offset, path="/members", filters=filters
    )


def neutralise_formula(text: str) -> str:
    """``text`` with a ``'`` in front when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _timestamp(value: datetime | None) -> str:
    """ISO 8601 in UTC with a ``Z``, as the JSON bodies write it; empty for unknown."""
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def csv_lines(rows: Iterable[MemberRow], *, header: bool = False) -> str:
    """RFC 4180 lines (CRLF ends, quoted where needed) for ``rows``, the header first if
    asked; display names neutralised (:func:`neutralise_formula`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row.id,
                row.guild_id,
                row.user_id,
                neutralise_formula(row.display_name),
                row.status.value,
                row.lead_score,
                _timestamp(row.joined_at),
                _timestamp(row.first_seen_at),
                _timestamp(row.last_seen_at),
            )
        )
    return out.getvalue()
