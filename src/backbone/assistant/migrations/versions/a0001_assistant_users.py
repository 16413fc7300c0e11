"""The assistant's accounts: users and their refresh tokens.

Written out here rather than imported from ``backbone.assistant``: a migration is
history, and must not change when the model does later.

Revision ID: a0001_assistant_users
Revises: 0001_baseline
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0001_assistant_users"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = ("assistant",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``assistant_users`` and ``assistant_refresh_tokens`` with their indexes."""
    timestamp = sa.DateTime(timezone=True)
    op.create_table(
        "assistant_users",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", timestamp, nullable=False),
        sa.CheckConstraint("email = lower(email)", name="ck_assistant_users_email_lower"),
        sa.CheckConstraint("role IN ('user', 'admin')", name="ck_assistant_users_role"),
    )
    op.create_index("ux_assistant_users_email", "assistant_users", ["email"], unique=True)
    op.create_index("ix_assistant_users_created", "assistant_users", ["created_at"])
    op.create_table(
        "assistant_refresh_tokens",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("assistant_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", timestamp, nullable=False),
        sa.Column("expires_at", timestamp, nullable=False),
        sa.Column("used_at", timestamp, nullable=True),
        sa.Column("revoked_at", timestamp, nullable=True),
    )
    tokens = "assistant_refresh_tokens"
    op.create_index("ux_assistant_refresh_tokens_hash", tokens, ["token_hash"], unique=True)
    op.create_index("ix_assistant_refresh_tokens_family", tokens, ["family_id"])
    op.create_index("ix_assistant_refresh_tokens_user", tokens, ["user_id"])
    op.create_index("ix_assistant_refresh_tokens_expires", tokens, ["expires_at"])


def downgrade() -> None:
    """Drop both tables (and their indexes)."""
    op.drop_table("assistant_refresh_tokens")
    op.drop_table("assistant_users")
