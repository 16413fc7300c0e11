"""The assistant's agent tasks and their steps (a job table of :mod:`backbone.jobs`).

Each task belongs to a user: deleting the user deletes its tasks, and their steps.

Revision ID: a0002_assistant_tasks
Revises: a0001_assistant_users
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a0002_assistant_tasks"
down_revision: str | Sequence[str] | None = "a0001_assistant_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``assistant_tasks`` and ``assistant_task_steps`` with their indexes."""
    timestamp = sa.DateTime(timezone=True)
    op.create_table(
        "assistant_tasks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "owner_id",
            sa.Uuid(),
            sa.ForeignKey("assistant_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("created_at", timestamp, nullable=False),
        sa.Column("enqueued_at", timestamp, nullable=False),
        sa.Column("started_at", timestamp, nullable=True),
        sa.Column("finished_at", timestamp, nullable=True),
        sa.Column("approved_at", timestamp, nullable=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("input", postgresql.JSONB(), nullable=False),
        sa.Column("engine", sa.String(200), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
    )
    tasks = "assistant_tasks"
    op.create_index("ix_assistant_tasks_state_created", tasks, ["state", "created_at"])
    op.create_index("ix_assistant_tasks_state_enqueued", tasks, ["state", "enqueued_at"])
    op.create_index(
        "ix_assistant_tasks_owner_created",
        tasks,
        ["owner_id", "created_at"],
        postgresql_where=sa.text("owner_id IS NOT NULL"),
    )
    op.create_table(
        "assistant_task_steps",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "job_id",
            sa.Uuid(),
            sa.ForeignKey("assistant_tasks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("tool", sa.String(100), nullable=True),
        sa.Column("input", postgresql.JSONB(), nullable=True),
        sa.Column("output", postgresql.JSONB(), nullable=True),
        sa.Column("started_at", timestamp, nullable=False),
        sa.Column("finished_at", timestamp, nullable=True),
    )
    op.create_index(
        "ix_assistant_task_steps_job_seq", "assistant_task_steps", ["job_id", "seq"], unique=True
    )


def downgrade() -> None:
    """Drop both tables (and their indexes)."""
    op.drop_table("assistant_task_steps")
    op.drop_table("assistant_tasks")
