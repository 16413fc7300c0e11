"""One approved action, done: the arguments checked again, the tool called with its key."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from backbone.assistant.automation._actions import (
    ACTIONS,
    CancelPendingOrders,
    FlagForFollowUp,
    GenerateReport,
    action_key,
)
from backbone.assistant.automation._errors import ActionFailed
from backbone.assistant.automation._follow_ups import flag_for_follow_up
from backbone.assistant.automation._http import Services, cancel_pending_orders, generate_report

__all__ = ["perform"]


def _arguments(tool: str, arguments: Mapping[str, Any]) -> BaseModel:
    action = ACTIONS.get(tool)
    if action is None:
        raise ActionFailed(f"{tool!r} is not an allowed action")
    try:
        return action.args_model.model_validate(dict(arguments))
    except ValidationError as exc:
        raise ActionFailed(f"{tool}: arguments refused: {exc.error_count()} error(s)") from None


def perform(
    tool: str,
    arguments: Mapping[str, Any],
    *,
    services: Services,
    task_id: uuid.UUID,
    action_id: str,
) -> dict[str, Any]:
    """Do one action (blocking); its answer. :class:`ActionFailed` when it cannot be done.

    The arguments are validated again here, whatever validated them before: the plan was
    stored, and only what the allow-list's models accept ever reaches a service.
    """
    args = _arguments(tool, arguments)
    key = action_key(task_id, action_id)
    if isinstance(args, CancelPendingOrders):
        return asyncio.run(cancel_pending_orders(args, services=services, key=key))
    if isinstance(args, GenerateReport):
        return asyncio.run(generate_report(args, services=services, key=key))
    if isinstance(args, FlagForFollowUp):
        if services.database_url is None:
            raise ActionFailed("flag_for_follow_up needs the assistant's database")
        return flag_for_follow_up(
            args, database_url=services.database_url, task_id=task_id, action_id=action_id
        )
    raise ActionFailed(f"{tool!r} has no implementation")  # pragma: no cover - the allow-list
