"""Baseline: the starting point of the platform's schema; deliberately no operations.

Nothing the platform shares needs a table yet; services add their tables (jobs,
users...) in later revisions on top of this one. Applying it creates Alembic's
``alembic_version`` table, which proves the migration path works end to end.

Revision ID: 0001_baseline
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0001_baseline"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """No operations: the baseline."""


def downgrade() -> None:
    """No operations: the baseline."""
