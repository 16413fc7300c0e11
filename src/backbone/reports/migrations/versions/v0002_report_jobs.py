"""The report processor's job table.

Written out here rather than imported from ``backbone.reports``: a migration is
history, and must not change when the model does later.

Revision ID: 0002_report_jobs
Revises: 0001_baseline
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_report_jobs"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``report_jobs`` and its (state, created_at) index."""
    timestamp = sa.DateTime(timezone=True)
    op.create_table(
        "report_jobs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("created_at", timestamp, nullable=False),
        sa.Column("started_at", timestamp, nullable=True),
        sa.Column("finished_at", timestamp, nullable=True),
        sa.Column("report_time", timestamp, nullable=True),
    )
    op.create_index("ix_report_jobs_state_created", "report_jobs", ["state", "created_at"])


def downgrade() -> None:
    """Drop the table (and its index)."""
    op.drop_index("ix_report_jobs_state_created", table_name="report_jobs")
    op.drop_table("report_jobs")
