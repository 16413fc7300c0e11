"""The review service's table: the jobs layer's columns and what a review is of.

Written out here rather than imported from ``backbone.review``: a migration is
history, and must not change when the model does later.

Revision ID: r0001_review_jobs
Revises: 0001_baseline
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "r0001_review_jobs"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "review_jobs"


def upgrade() -> None:
    """Create ``review_jobs`` with the layer's indexes, one live review per head, and the
    pull request's index."""
    timestamp = sa.DateTime(timezone=True)
    op.create_table(
        TABLE,
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
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("idempotency_hash", sa.String(64), nullable=True),
        sa.Column("repository", sa.String(140), nullable=False),
        sa.Column("pull_number", sa.BigInteger(), nullable=False),
        sa.Column("head_sha", sa.String(40), nullable=False),
        sa.Column("head_updated_at", timestamp, nullable=True),
        sa.Column("title", sa.String(1024), nullable=False),
        sa.Column("delivery", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("sender", sa.String(100), nullable=False),
        sa.Column("installation_id", sa.BigInteger(), nullable=True),
        sa.Column("findings", sa.Integer(), nullable=True),
        sa.Column("comment_url", sa.String(500), nullable=True),
        sa.Column("review_url", sa.String(500), nullable=True),
    )
    op.create_index("ix_review_jobs_state_created", TABLE, ["state", "created_at"])
    op.create_index("ix_review_jobs_state_enqueued", TABLE, ["state", "enqueued_at"])
    op.create_index(
        "ix_review_jobs_owner_created",
        TABLE,
        ["owner_id", "created_at"],
        postgresql_where=sa.text("owner_id IS NOT NULL"),
    )
    op.create_index(
        "ux_review_jobs_idempotency",
        TABLE,
        ["idempotency_key", "owner_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_index(
        "ux_review_jobs_head",
        TABLE,
        ["repository", "pull_number", "head_sha"],
        unique=True,
        postgresql_where=sa.text("state IN ('pending', 'in-progress', 'complete')"),
    )
    op.create_index("ix_review_jobs_pull", TABLE, ["repository", "pull_number", "created_at"])


def downgrade() -> None:
    """Drop the table (and its indexes)."""
    op.drop_table(TABLE)
