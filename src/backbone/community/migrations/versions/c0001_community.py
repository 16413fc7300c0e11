"""The community CRM: members per server and the messages that made them leads.

Written out here rather than imported from ``backbone.community``: a migration is
history, and must not change when the models do later.

Revision ID: c0001_community
Revises: 0001_baseline
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0001_community"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBERS = "community_members"
EVENTS = "community_lead_events"


def upgrade() -> None:
    """Create the members (unique per server and user) and their lead events (unique
    per message), with the indexes the CRM's reads use."""
    timestamp = sa.DateTime(timezone=True)
    op.create_table(
        MEMBERS,
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("joined_at", timestamp, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lead_score", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", timestamp, nullable=False),
        sa.Column("last_seen_at", timestamp, nullable=False),
        sa.UniqueConstraint("guild_id", "user_id", name="uq_community_members_guild_user"),
        sa.CheckConstraint("status IN ('member', 'hot-lead')", name="ck_community_members_status"),
        sa.CheckConstraint("lead_score >= 0", name="ck_community_members_lead_score"),
    )
    op.create_index("ix_community_members_status_seen", MEMBERS, ["status", "last_seen_at"])
    op.create_index("ix_community_members_guild_seen", MEMBERS, ["guild_id", "last_seen_at"])
    op.create_table(
        EVENTS,
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "member_id",
            sa.BigInteger(),
            sa.ForeignKey(f"{MEMBERS}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("phrase", sa.String(100), nullable=False),
        sa.Column("excerpt", sa.String(200), nullable=False),
        sa.Column("at", timestamp, nullable=False),
        sa.UniqueConstraint("message_id", name="uq_community_lead_events_message"),
    )
    op.create_index("ix_community_lead_events_member_at", EVENTS, ["member_id", "at"])


def downgrade() -> None:
    """Drop both tables (and their indexes), the events first."""
    op.drop_table(EVENTS)
    op.drop_table(MEMBERS)
