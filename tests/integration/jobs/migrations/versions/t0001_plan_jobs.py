"""The test-only plan job kind's tables: a branch of its own on core's baseline.

Revision ID: t0001_plan_jobs
Revises: 0001_baseline
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0001_plan_jobs"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = ("plans",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``plan_jobs`` and ``plan_job_steps`` with their indexes."""
    timestamp = sa.DateTime(timezone=True)
    op.create_table(
        "plan_jobs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
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
        sa.Column("goal", sa.String(200), nullable=False),
        sa.Column("approved_items", postgresql.JSONB(), nullable=True),
    )
    op.create_index("ix_plan_jobs_state_created", "plan_jobs", ["state", "created_at"])
    op.create_index("ix_plan_jobs_state_enqueued", "plan_jobs", ["state", "enqueued_at"])
    op.create_index(
        "ix_plan_jobs_owner_created",
        "plan_jobs",
        ["owner_id", "created_at"],
        postgresql_where=sa.text("owner_id IS NOT NULL"),
    )
    op.create_table(
        "plan_job_steps",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "job_id",
            sa.Uuid(),
            sa.ForeignKey("plan_jobs.id", ondelete="CASCADE"),
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
    op.create_index("ix_plan_job_steps_job_seq", "plan_job_steps", ["job_id", "seq"], unique=True)


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("plan_job_steps")
    op.drop_table("plan_jobs")
