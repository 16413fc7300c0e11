"""The allow-list: each action's name, what it does, and the arguments it takes.

Arguments are pydantic models with strict types and bounds: a user id is an integer in
the User Service's range, a number of days an integer. They are all a tool ever puts in
a URL, so nothing a goal or a model writes can choose a host or a path segment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "ACTIONS",
    "MAX_ACTIONS",
    "ActionTool",
    "CancelPendingOrders",
    "FlagForFollowUp",
    "GenerateReport",
    "action_key",
]

MAX_ACTIONS = 20
"""Actions a plan may hold (the contract's ``Plan.actions`` bound)."""

UserId = Annotated[int, Field(ge=1, le=2147483647, strict=True)]
# Text that ends up in our own database, never in a URL: printable, bounded.
Reason = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=500, pattern=r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$", strict=True
    ),
]


class CancelPendingOrders(BaseModel):
    """Cancel one user's pending orders placed more than ``older_than_days`` days ago."""

    model_config = ConfigDict(extra="forbid")

    user_id: UserId
    older_than_days: int = Field(default=0, ge=0, le=3650, strict=True)


class GenerateReport(BaseModel):
    """Ask the report processor for a report on one user."""

    model_config = ConfigDict(extra="forbid")

    user_id: UserId


class FlagForFollowUp(BaseModel):
    """Flag one user for a person to follow up, with the reason."""

    model_config = ConfigDict(extra="forbid")

    user_id: UserId
    reason: Reason


@dataclass(frozen=True, slots=True)
class ActionTool:
    """One allowed action: its name (the plan's ``tool``), description and arguments."""

    name: str
    description: str
    args_model: type[BaseModel]


ACTIONS: dict[str, ActionTool] = {
    tool.name: tool
    for tool in (
        ActionTool(
            "cancel_pending_orders",
            "Cancel a user's pending orders older than N days (the Order Service, through "
            "the gateway); paid, shipped and newer orders are left alone.",
            CancelPendingOrders,
        ),
        ActionTool(
            "generate_report",
            "Generate a report for a user (the report processor's POST /generate-report).",
            GenerateReport,
        ),
        ActionTool(
            "flag_for_follow_up",
            "Flag a user for a person to follow up, with the reason (the assistant's database).",
            FlagForFollowUp,
        ),
    )
}


def action_key(task_id: uuid.UUID, action_id: str) -> str:
    """The ``Idempotency-Key`` of one action of one task: the same on every delivery, so a
    service that honours it acts once however often the action is sent (a UUID, the form
    any service accepts)."""
    return str(uuid.uuid5(task_id, action_id))
