"""The assistant's datasets, and a task's planned and completed step counts.

Written out here rather than imported from ``backbone.assistant``: a migration is
history, and must not change when the model does later.

Revision ID: a0003_assistant_datasets
Revises: a0002_assistant_tasks
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a0003_assistant_datasets"
down_revision: str | Sequence[str] | None = "a0002_assistant_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``assistant_datasets``; add the step counts to ``assistant_tasks``."""
    op.create_table(
        "assistant_datasets",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "owner_id",
            sa.Uuid(),
            sa.ForeignKey("assistant_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("columns", postgresql.JSONB(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_assistant_datasets_owner_created", "assistant_datasets", ["owner_id", "created_at"]
    )
    op.add_column("assistant_tasks", sa.Column("total_steps", sa.Integer(), nullable=True))
    op.add_column(
        "assistant_tasks",
        sa.Column("completed_steps", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` made."""
    op.drop_column("assistant_tasks", "completed_steps")
    op.drop_column("assistant_tasks", "total_steps")
    op.drop_index("ix_assistant_datasets_owner_created", table_name="assistant_datasets")
    op.drop_table("assistant_datasets")
