"""The users flagged for follow-up: one row per flagging action of a task.

Unique on (task, action): the action inserts with ``ON CONFLICT DO NOTHING`` and reads
the row back, so a delivery run again finds the flag it made and makes no second one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column as SAColumn
from sqlalchemy import DateTime, ForeignKey, Table, UniqueConstraint, Uuid
from sqlmodel import Field, SQLModel

__all__ = ["FOLLOW_UPS", "FollowUp"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FollowUp(SQLModel, table=True):
    """A user flagged for a person to follow up, by one action of one automation."""

    __tablename__ = "assistant_follow_ups"
    __table_args__ = (
        UniqueConstraint("task_id", "action_id", name="uq_assistant_follow_ups_task_action"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    task_id: uuid.UUID = Field(
        sa_column=SAColumn(
            Uuid(), ForeignKey("assistant_tasks.id", ondelete="CASCADE"), nullable=False
        )
    )
    action_id: str = Field(max_length=8)
    user_id: int = Field(index=True)
    reason: str = Field(max_length=500)
    created_at: datetime = Field(
        default_factory=_utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


FOLLOW_UPS: Table = FollowUp.__table__  # type: ignore[attr-defined]
