"""Idempotency keys for report jobs: the key, the request's fingerprint, one job per key.

``POST /generate-report`` takes an ``Idempotency-Key``; the jobs layer keeps it on the
job's row with a SHA-256 of the request, and a unique index lets one row have a key.
Report jobs have no owner, so the index treats the missing owner as one value
(``NULLS NOT DISTINCT``, PostgreSQL 15 or later): a key is unique service-wide. Rows
without a key are left out of the index. Existing jobs have no key.

Revision ID: 0005_report_jobs_idempotency
Revises: 0004_report_jobs_shared_columns
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_report_jobs_idempotency"
down_revision: str | Sequence[str] | None = "0004_report_jobs_shared_columns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "report_jobs"
INDEX = "ux_report_jobs_idempotency"


def upgrade() -> None:
    """Add ``idempotency_key`` and ``idempotency_hash``, and their unique index."""
    op.add_column(TABLE, sa.Column("idempotency_key", sa.String(255), nullable=True))
    op.add_column(TABLE, sa.Column("idempotency_hash", sa.String(64), nullable=True))
    op.create_index(
        INDEX,
        TABLE,
        ["idempotency_key", "owner_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )


def downgrade() -> None:
    """Drop the index and both columns (the keys are forgotten)."""
    op.drop_index(INDEX, table_name=TABLE)
    op.drop_column(TABLE, "idempotency_hash")
    op.drop_column(TABLE, "idempotency_key")
