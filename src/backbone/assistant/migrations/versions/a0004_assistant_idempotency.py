"""Idempotency keys for the assistant's tasks (the jobs layer's table columns).

The jobs layer's job table now keeps a submit's ``Idempotency-Key`` and a SHA-256 of
its request, with a unique index on (key, owner): each user's keys are their own.
Tasks always have an owner; ``NULLS NOT DISTINCT`` (PostgreSQL 15 or later) is the
layer's index, the same for every job table. Rows without a key are left out of the
index. Existing tasks have no key.

Revision ID: a0004_assistant_idempotency
Revises: a0003_assistant_datasets
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0004_assistant_idempotency"
down_revision: str | Sequence[str] | None = "a0003_assistant_datasets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "assistant_tasks"
INDEX = "ux_assistant_tasks_idempotency"


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
