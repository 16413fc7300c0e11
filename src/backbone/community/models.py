"""The CRM's tables: one row per member of a server, one row per message that made them
a lead.

The rules the bot relies on live in the database, so a second bot process (or a
reconciliation racing a join) cannot break them:

- ``(guild_id, user_id)`` is unique: a member who leaves and rejoins is the same row;
- a lead event's ``message_id`` is unique: the same message never counts twice;
- ``status`` is one of :class:`MemberStatus` and ``lead_score`` is never negative
  (check constraints);
- a member's lead events go when the member does (``ON DELETE CASCADE``).

Discord ids are snowflakes (64-bit), hence ``BIGINT`` throughout.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Table,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

__all__ = [
    "EXCERPT_MAX",
    "LEAD_EVENTS",
    "MEMBERS",
    "CommunityMember",
    "LeadEvent",
    "MemberStatus",
]

EXCERPT_MAX = 200
"""The longest excerpt of a message a lead event keeps, in characters."""


class MemberStatus(StrEnum):
    """Where a member stands with the CRM."""

    MEMBER = "member"
    HOT_LEAD = "hot-lead"


def _statuses() -> str:
    return "status IN (" + ", ".join(f"'{status}'" for status in MemberStatus) + ")"


class CommunityMember(SQLModel, table=True):
    """One member of one Discord server, as the bot has seen them."""

    __tablename__ = "community_members"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id", name="uq_community_members_guild_user"),
        CheckConstraint(_statuses(), name="ck_community_members_status"),
        CheckConstraint("lead_score >= 0", name="ck_community_members_lead_score"),
        Index("ix_community_members_status_seen", "status", "last_seen_at"),
        Index("ix_community_members_guild_seen", "guild_id", "last_seen_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    guild_id: int = Field(sa_type=BigInteger)
    user_id: int = Field(sa_type=BigInteger)
    display_name: str = Field(max_length=100)
    joined_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    """When the current membership began (a rejoin's time); unknown for a member first
    seen by a message."""
    status: MemberStatus = Field(default=MemberStatus.MEMBER, sa_type=String(16))
    lead_score: int = Field(default=0, ge=0)
    """How many distinct messages matched a lead phrase."""
    first_seen_at: datetime = Field(sa_type=DateTime(timezone=True))
    last_seen_at: datetime = Field(sa_type=DateTime(timezone=True))


class LeadEvent(SQLModel, table=True):
    """One message that flagged its author as a hot lead."""

    __tablename__ = "community_lead_events"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_community_lead_events_message"),
        Index("ix_community_lead_events_member_at", "member_id", "at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    member_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("community_members.id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    message_id: int = Field(sa_type=BigInteger)
    channel_id: int = Field(sa_type=BigInteger)
    phrase: str = Field(max_length=100)
    """The name of the rule that matched."""
    excerpt: str = Field(max_length=EXCERPT_MAX)
    at: datetime = Field(sa_type=DateTime(timezone=True))
    """When the message was sent."""


MEMBERS: Table = CommunityMember.__table__  # type: ignore[attr-defined]
"""The members table, for Core statements."""
LEAD_EVENTS: Table = LeadEvent.__table__  # type: ignore[attr-defined]
"""The lead events table, for Core statements."""
