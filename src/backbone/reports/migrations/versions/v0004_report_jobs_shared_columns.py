"""The jobs layer's columns a report job lacked: owner, result, approval; a wider state.

Report jobs now live on :mod:`backbone.jobs`, whose job table has an owner (for
services with users), a JSON result, and an approval step, whose state
(``awaiting-approval``) is longer than the 16 characters ``state`` allowed. Existing
rows keep their values: no owner, no result, never approved.

Revision ID: 0004_report_jobs_shared_columns
Revises: 0003_report_jobs_enqueued_at
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_report_jobs_shared_columns"
down_revision: str | Sequence[str] | None = "0003_report_jobs_enqueued_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Widen ``state``; add ``owner_id`` (indexed), ``result`` and ``approved_at``."""
    op.alter_column(
        "report_jobs",
        "state",
        type_=sa.String(32),
        existing_type=sa.String(16),
        existing_nullable=False,
    )
    op.add_column("report_jobs", sa.Column("owner_id", sa.Uuid(), nullable=True))
    op.add_column("report_jobs", sa.Column("result", postgresql.JSONB(), nullable=True))
    op.add_column("report_jobs", sa.Column("approved_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_report_jobs_owner_created",
        "report_jobs",
        ["owner_id", "created_at"],
        postgresql_where=sa.text("owner_id IS NOT NULL"),
    )


def downgrade() -> None:
    """Drop what ``upgrade`` added; ``state`` back to 16 characters."""
    op.drop_index("ix_report_jobs_owner_created", table_name="report_jobs")
    op.drop_column("report_jobs", "approved_at")
    op.drop_column("report_jobs", "result")
    op.drop_column("report_jobs", "owner_id")
    op.alter_column(
        "report_jobs",
        "state",
        type_=sa.String(16),
        existing_type=sa.String(32),
        existing_nullable=False,
    )
