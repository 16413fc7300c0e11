"""When each report job was last handed to the broker, for the reconciler.

Revision ID: 0003_report_jobs_enqueued_at
Revises: 0002_report_jobs
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_report_jobs_enqueued_at"
down_revision: str | Sequence[str] | None = "0002_report_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``enqueued_at`` (existing jobs: their ``created_at``) and its (state, ...) index."""
    op.add_column("report_jobs", sa.Column("enqueued_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE report_jobs SET enqueued_at = created_at")
    op.alter_column("report_jobs", "enqueued_at", nullable=False)
    op.create_index("ix_report_jobs_state_enqueued", "report_jobs", ["state", "enqueued_at"])


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("ix_report_jobs_state_enqueued", table_name="report_jobs")
    op.drop_column("report_jobs", "enqueued_at")
