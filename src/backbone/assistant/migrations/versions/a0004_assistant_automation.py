"""An automation's approved actions on its task, and the users flagged for follow-up.

Written out here rather than imported from ``backbone.assistant``: a migration is
history, and must not change when the model does later.

Revision ID: a0004_assistant_automation
Revises: a0003_assistant_datasets
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a0004_assistant_automation"
down_revision: str | Sequence[str] | None = "a0003_assistant_datasets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``assistant_tasks.approved_actions``; create ``assistant_follow_ups``."""
    op.add_column(
        "assistant_tasks", sa.Column("approved_actions", postgresql.JSONB(), nullable=True)
    )
    op.create_table(
        "assistant_follow_ups",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "task_id",
            sa.Uuid(),
            sa.ForeignKey("assistant_tasks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("action_id", sa.String(8), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("task_id", "action_id", name="uq_assistant_follow_ups_task_action"),
    )
    op.create_index("ix_assistant_follow_ups_user_id", "assistant_follow_ups", ["user_id"])


def downgrade() -> None:
    """Drop what :func:`upgrade` made."""
    op.drop_index("ix_assistant_follow_ups_user_id", table_name="assistant_follow_ups")
    op.drop_table("assistant_follow_ups")
    op.drop_column("assistant_tasks", "approved_actions")
