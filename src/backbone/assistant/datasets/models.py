"""The dataset table: an upload as it came (its bytes) and what was read from it.

The bytes are kept, not only the parsed rows: nothing a user sent is lost, and the
worker reads the table by parsing them again with the same parser (deterministic), so
the API never ships rows through the job queue. ``columns`` and ``rows`` describe the
table for listings without reading the content.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column as SAColumn
from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, Table, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

__all__ = ["DATASETS", "Dataset"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Dataset(SQLModel, table=True):
    """One uploaded dataset, owned by the user who uploaded it."""

    __tablename__ = "assistant_datasets"
    __table_args__ = (Index("ix_assistant_datasets_owner_created", "owner_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    owner_id: uuid.UUID = Field(
        sa_column=SAColumn(
            Uuid(), ForeignKey("assistant_users.id", ondelete="CASCADE"), nullable=False
        )
    )
    name: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size_bytes: int = Field(ge=0)
    rows: int = Field(ge=0)
    columns: list[dict[str, Any]] = Field(sa_type=JSONB, nullable=False)
    content: bytes = Field(sa_type=LargeBinary, nullable=False)
    created_at: datetime = Field(
        default_factory=_utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


DATASETS: Table = Dataset.__table__  # type: ignore[attr-defined]
