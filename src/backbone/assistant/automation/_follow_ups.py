"""``flag_for_follow_up``: a row in the assistant's own database, once per task and action."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from backbone.assistant.automation._actions import FlagForFollowUp
from backbone.assistant.automation._errors import ActionFailed
from backbone.core.db import libpq_url

__all__ = ["flag_for_follow_up"]

_INSERT = (
    "INSERT INTO assistant_follow_ups (id, task_id, action_id, user_id, reason, created_at)"
    " VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT (task_id, action_id) DO NOTHING"
)
_READ = (
    "SELECT id, user_id, reason, created_at FROM assistant_follow_ups"
    " WHERE task_id = %s AND action_id = %s"
)


def flag_for_follow_up(
    args: FlagForFollowUp, *, database_url: str, task_id: uuid.UUID, action_id: str
) -> dict[str, Any]:
    """Flag the user (or find the flag this action made before); the flag."""
    try:
        with psycopg.connect(libpq_url(database_url), connect_timeout=5) as conn:
            conn.execute(_INSERT, (uuid.uuid4(), task_id, action_id, args.user_id, args.reason))
            row = conn.execute(_READ, (task_id, action_id)).fetchone()
    except psycopg.OperationalError as exc:
        raise ActionFailed(f"the assistant's database could not be reached: {exc}") from exc
    assert row is not None  # noqa: S101 - inserted or found, in the same transaction
    flag_id, user_id, reason, created_at = row
    return {
        "flag_id": str(flag_id),
        "user_id": user_id,
        "reason": reason,
        "flagged_at": created_at.isoformat(),
    }
