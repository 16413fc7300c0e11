"""The jobs layer's idempotency columns and unique index, on the test-only plan jobs.

Revision ID: t0002_plan_jobs_idempotency
Revises: t0001_plan_jobs
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0002_plan_jobs_idempotency"
down_revision: str | Sequence[str] | None = "t0001_plan_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``idempotency_key`` and ``idempotency_hash``, and their unique index."""
    op.add_column("plan_jobs", sa.Column("idempotency_key", sa.String(255), nullable=True))
    op.add_column("plan_jobs", sa.Column("idempotency_hash", sa.String(64), nullable=True))
    op.create_index(
        "ux_plan_jobs_idempotency",
        "plan_jobs",
        ["idempotency_key", "owner_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )


def downgrade() -> None:
    """Drop the index and both columns."""
    op.drop_index("ux_plan_jobs_idempotency", table_name="plan_jobs")
    op.drop_column("plan_jobs", "idempotency_hash")
    op.drop_column("plan_jobs", "idempotency_key")
