"""The body of ``POST /v1/tasks``, checked against its type before anything is recorded.

415 for a body that is not JSON, 400 for one that does not decode, 422 for an unknown
type, an input that does not validate, or a dataset the caller cannot see (the same
answer as a dataset that does not exist).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from backbone.assistant.datasets.store import dataset_visible
from backbone.assistant.deps import CurrentUser, SessionDep
from backbone.assistant.tasks.schemas import (
    AnalysisInput,
    AutomationInput,
    RecommendationInput,
    TaskRequest,
    TaskType,
)
from backbone.core.problems import ProblemError

__all__ = ["TaskRequestDep", "TaskSpec", "task_request"]

JSON = "application/json"

INPUTS: dict[TaskType, type[BaseModel]] = {
    TaskType.ANALYSIS: AnalysisInput,
    TaskType.RECOMMENDATION: RecommendationInput,
    TaskType.AUTOMATION: AutomationInput,
}


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """A task to record: its type and its input, validated and normalised."""

    type: TaskType
    input: dict[str, Any]


def _invalid(exc: ValidationError, *prefix: str | int) -> RequestValidationError:
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    return RequestValidationError([{**error, "loc": (*prefix, *error["loc"])} for error in errors])


def _unprocessable(loc: tuple[str, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])


async def task_request(request: Request, user: CurrentUser, session: SessionDep) -> TaskSpec:
    """The validated task of the request, or the problem that stops it."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != JSON:
        raise ProblemError(415, detail=f"Send the task as {JSON}.", headers={"Accept-Post": JSON})
    body = await request.body()
    try:
        json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProblemError(400, detail="The body is not UTF-8.") from None
    except ValueError:
        raise ProblemError(400, detail="The body is not valid JSON.") from None
    try:
        spec = TaskRequest.model_validate_json(body)
    except ValidationError as exc:
        raise _invalid(exc, "body") from None
    # The contract has no nullable member: an explicit null is refused, not taken as absent.
    for name, value in spec.input.items():
        if value is None:
            raise _unprocessable(("body", "input", name), "must not be null")
    try:
        task_input = INPUTS[spec.type].model_validate(spec.input)
    except ValidationError as exc:
        raise _invalid(exc, "body", "input") from None
    dataset_id = task_input.dataset_id if isinstance(task_input, AnalysisInput) else None
    if dataset_id is not None and not await dataset_visible(session, dataset_id, owner=user.id):
        raise _unprocessable(("body", "input", "dataset_id"), "no such dataset")
    return TaskSpec(type=spec.type, input=task_input.model_dump(mode="json", exclude_none=True))


TaskRequestDep = Annotated[TaskSpec, Depends(task_request)]
