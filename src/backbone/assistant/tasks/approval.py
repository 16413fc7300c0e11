"""``POST /v1/tasks/{task_id}/approve`` and ``.../reject``: a person decides on a plan.

Only the task's owner (or an admin) may decide: anyone else gets 404, the same answer as
an unknown id. Only a task ``awaiting-approval`` can be decided (409 otherwise). An
approval may name part of the plan; an action id the plan does not hold is 422 and
nothing changes. The approved ids are recorded by the statement that approves (the
jobs layer's :func:`~backbone.jobs.approve_job`), so the run that acts reads exactly
what the person approved. A rejection ends the task: ``cancelled``, its error
``rejected: <reason>``.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.exceptions import RequestValidationError

from backbone.assistant.bodies import optional_json_body, request_body
from backbone.assistant.deps import CurrentUser, JobsDep
from backbone.assistant.tasks import events
from backbone.assistant.tasks.routes import (
    NOT_FOUND,
    UNAUTHORIZED,
    UNAVAILABLE,
    VALIDATION,
    TaskId,
    owner_of,
)
from backbone.assistant.tasks.schemas import Approval, Rejection, TaskView
from backbone.core.problems import ProblemError, problem_responses
from backbone.jobs import JobRow, JobState, Owner, approve_job, find_job, reject_job

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["tasks"])

ApprovalDep = Annotated[Approval, Depends(optional_json_body(Approval))]
RejectionDep = Annotated[Rejection, Depends(optional_json_body(Rejection))]
ERROR_LIMIT = 500
_MALFORMED = problem_responses([400], description="The body does not decode.")


def _responses(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description},
        **_MALFORMED,
        **UNAUTHORIZED,
        **NOT_FOUND,
        **problem_responses([409, 413, 415]),
        **VALIDATION,
        **UNAVAILABLE,
    }


# A reason is text for people: control characters (NUL, which PostgreSQL cannot store,
# among them) become spaces rather than refuse a body the contract allows.
_CONTROL = re.compile(r"[\x00-\x1F\x7F]+")


async def _awaiting(jobs: Any, task_id: Any, owner: Owner) -> JobRow:
    row = await find_job(store=jobs.store, job_id=task_id, owner=owner)
    if row.state != JobState.AWAITING_APPROVAL:
        raise ProblemError(
            409, detail=f"The task is {row.state}: only a plan awaiting approval can be decided."
        )
    return row


def _plan_ids(row: JobRow) -> list[str]:
    result = row.result if isinstance(row.result, dict) else {}
    plan = (result.get("data") or {}).get("plan") or {}
    return [str(action.get("id")) for action in plan.get("actions", [])]


def _check_ids(approval: Approval, row: JobRow) -> None:
    """422 for each approved id the plan does not hold (nothing is changed)."""
    known = set(_plan_ids(row))
    errors = [
        {
            "type": "value_error",
            "loc": ("body", "action_ids", index),
            "msg": f"the plan has no action {action_id!r} (it has {', '.join(sorted(known))})",
        }
        for index, action_id in enumerate(approval.action_ids or [])
        if action_id not in known
    ]
    if errors:
        raise RequestValidationError(errors)


@router.post(
    "/v1/tasks/{task_id}/approve",
    operation_id="approveTask",
    summary="Approve an automation's plan (all of it, or the listed actions); the worker acts.",
    response_model=TaskView,
    responses=_responses("The task, approved and queued again."),
    openapi_extra=request_body(Approval, required=False),
)
async def approve_task(
    task_id: TaskId, approval: ApprovalDep, user: CurrentUser, jobs: JobsDep
) -> TaskView:
    owner = owner_of(user)
    row = await _awaiting(jobs, task_id, owner)
    _check_ids(approval, row)
    columns = {} if approval.action_ids is None else {"approved_actions": approval.action_ids}
    await approve_job(store=jobs.store, queue=jobs.queue, job_id=task_id, owner=owner, **columns)
    logger.info(
        "task_approved task_id=%s user_id=%s actions=%s",
        task_id,
        user.id,
        "all" if approval.action_ids is None else ",".join(approval.action_ids),
    )
    return await events.current_view(jobs.store, task_id, owner=owner)


@router.post(
    "/v1/tasks/{task_id}/reject",
    operation_id="rejectTask",
    summary="Reject an automation's plan; the task ends and nothing is done.",
    response_model=TaskView,
    responses=_responses("The task, rejected."),
    openapi_extra=request_body(Rejection, required=False),
)
async def reject_task(
    task_id: TaskId, rejection: RejectionDep, user: CurrentUser, jobs: JobsDep
) -> TaskView:
    owner = owner_of(user)
    await _awaiting(jobs, task_id, owner)
    reason = " ".join(_CONTROL.sub(" ", rejection.reason or "").split()) or "no reason given"
    error = f"rejected: {reason}"[:ERROR_LIMIT]
    await reject_job(store=jobs.store, job_id=task_id, owner=owner, reason=error)
    logger.info("task_rejected task_id=%s user_id=%s", task_id, user.id)
    return await events.current_view(jobs.store, task_id, owner=owner)
