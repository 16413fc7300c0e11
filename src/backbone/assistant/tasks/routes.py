"""``/v1/tasks``: submit, follow (JSON or Server-Sent Events), list, cancel, download.

Every read is scoped to its owner (an admin sees every task): another user's task is
404, the same answer as an unknown id. Answers come from the task table and its step
table, never from Celery or a worker's memory, so any API replica serves any task.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.responses import FileResponse, Response

from backbone.assistant.deps import CurrentUser, JobsDep, SettingsDep, TaskSubmissionLimit
from backbone.assistant.tasks import events
from backbone.assistant.tasks.artifacts import artifact_file
from backbone.assistant.tasks.inputs import TaskRequestDep
from backbone.assistant.tasks.schemas import (
    TaskAccepted,
    TaskPage,
    TaskState,
    TaskType,
    TaskView,
    task_path,
)
from backbone.core.logging import request_id_var
from backbone.core.pagination import Limit, Offset
from backbone.core.problems import ProblemError, problem_responses
from backbone.jobs import (
    ANY_OWNER,
    JobState,
    Owner,
    cancel_job,
    find_job,
    submit_job,
    unavailable_responses,
)

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["tasks"])

TaskId = Annotated[uuid.UUID, Path(description="The task's id, as the 202 gave it.")]
ArtifactName = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", description="The artifact's name.")
]
TypeFilter = Annotated[TaskType | None, Query(description="Only tasks of this type.")]
StateFilter = Annotated[TaskState | None, Query(description="Only tasks in this state.")]
LastEventId = Annotated[
    str | None,
    Header(alias="Last-Event-ID", pattern=r"^[0-9]{1,9}$", description="Resume after this id."),
]

Responses = dict[int | str, dict[str, Any]]
_RETRY_AFTER = {"description": "Seconds to wait.", "schema": {"type": "string"}}
UNAUTHORIZED = problem_responses([401], description="No valid access token.")
VALIDATION = problem_responses([422], description="The request did not validate.")
UNAVAILABLE: Responses = unavailable_responses("PostgreSQL or the broker is unreachable.")
NOT_FOUND = problem_responses([404], description="No such task, or not the caller's.")


def _responses(ok: int, description: str, *extra: int) -> Responses:
    return {
        ok: {"description": description},
        **UNAUTHORIZED,
        **NOT_FOUND,
        **problem_responses(extra),
        **VALIDATION,
        **UNAVAILABLE,
    }


def owner_of(user: Any) -> Owner:
    """Whose tasks a user may see: their own, or (an admin) everyone's."""
    return ANY_OWNER if user.is_admin else user.id


@router.post(
    "/v1/tasks",
    operation_id="createTask",
    summary="Submit an agent task; answers 202 at once.",
    status_code=202,
    response_model=TaskAccepted,
    responses={
        202: {
            "description": "Accepted; the task is recorded and queued.",
            "headers": {"Location": {"schema": {"type": "string"}}, "Retry-After": _RETRY_AFTER},
        },
        **problem_responses([400], description="The body does not decode."),
        **UNAUTHORIZED,
        **problem_responses([413, 415]),
        **VALIDATION,
        **problem_responses([429], description="Too many submissions."),
        **UNAVAILABLE,
    },
)
async def create_task(
    spec: TaskRequestDep,
    user: CurrentUser,
    _limit: TaskSubmissionLimit,
    jobs: JobsDep,
    settings: SettingsDep,
    response: Response,
) -> TaskAccepted:
    task_id = await submit_job(
        store=jobs.store,
        queue=jobs.queue,
        owner=user.id,
        type=spec.type.value,
        input=spec.input,
        request_id=request_id_var.get(),
    )
    logger.info("task_submitted task_id=%s type=%s user_id=%s", task_id, spec.type, user.id)
    response.headers["Location"] = task_path(task_id)
    response.headers["Retry-After"] = str(settings.retry_after)
    return TaskAccepted(task_id=task_id)


@router.get(
    "/v1/tasks",
    operation_id="listTasks",
    summary="A page of tasks, newest first (the caller's; an admin's sees all).",
    response_model=TaskPage,
    responses={200: {"description": "The page."}, **UNAUTHORIZED, **VALIDATION, **UNAVAILABLE},
)
async def list_tasks(
    user: CurrentUser,
    jobs: JobsDep,
    limit: Limit = 20,
    offset: Offset = 0,
    type: TypeFilter = None,
    status: StateFilter = None,
) -> TaskPage:
    where = {} if type is None else {"type": type.value}
    state = None if status is None else JobState(status)
    rows, total = await jobs.store.page(
        owner=owner_of(user), state=state, limit=limit, offset=offset, where=where
    )
    filters = {"type": type, "status": status}
    items = [TaskView.of(row) for row in rows]
    return TaskPage.of(
        items, total=total, limit=limit, offset=offset, path="/v1/tasks", filters=filters
    )


@router.get(
    "/v1/tasks/{task_id}",
    operation_id="getTask",
    summary="A task: its status, progress, steps, result and engine.",
    response_model=TaskView,
    responses=_responses(200, "The task."),
)
async def get_task(
    task_id: TaskId, user: CurrentUser, jobs: JobsDep, settings: SettingsDep, response: Response
) -> TaskView:
    view = await events.current_view(jobs.store, task_id, owner=owner_of(user))
    if not view.final:
        response.headers["Retry-After"] = str(settings.retry_after)
    return view


@router.delete(
    "/v1/tasks/{task_id}",
    operation_id="cancelTask",
    summary="Cancel a task that is not final.",
    response_model=TaskView,
    responses=_responses(200, "The task, cancelled.", 409),
)
async def cancel_task(task_id: TaskId, user: CurrentUser, jobs: JobsDep) -> TaskView:
    owner = owner_of(user)
    await cancel_job(store=jobs.store, queue=jobs.queue, job_id=task_id, owner=owner)
    logger.info("task_cancelled task_id=%s user_id=%s", task_id, user.id)
    return await events.current_view(jobs.store, task_id, owner=owner)


async def visible_task(task_id: TaskId, user: CurrentUser, jobs: JobsDep) -> uuid.UUID:
    """The id of a task the caller may see; 404 otherwise. A dependency, so that the 404
    is answered before a stream starts (raised in the stream, it would be a 500)."""
    await find_job(store=jobs.store, job_id=task_id, owner=owner_of(user))
    return task_id


VisibleTaskId = Annotated[uuid.UUID, Depends(visible_task)]


@router.get(
    "/v1/tasks/{task_id}/events",
    operation_id="getTaskEvents",
    summary="The task's steps as Server-Sent Events, then its end.",
    response_class=EventSourceResponse,
    responses={
        **_responses(200, "The event stream."),
        200: {
            "description": "The event stream.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def task_events(
    task_id: VisibleTaskId,
    user: CurrentUser,
    jobs: JobsDep,
    settings: SettingsDep,
    request: Request,
    last_event_id: LastEventId = None,
) -> AsyncIterator[ServerSentEvent]:
    owner = owner_of(user)
    after = int(last_event_id) if last_event_id else 0
    async for event in events.stream(
        jobs.store,
        task_id,
        owner=owner,
        after=after,
        poll=settings.events_poll_seconds,
        disconnected=request.is_disconnected,
    ):
        yield event


@router.get(
    "/v1/tasks/{task_id}/artifacts/{name}",
    operation_id="getTaskArtifact",
    summary="A file the task produced.",
    response_class=FileResponse,
    responses={
        **_responses(200, "The artifact.", 409),
        200: {
            "description": "The artifact.",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        },
    },
)
async def get_artifact(
    task_id: TaskId, name: ArtifactName, user: CurrentUser, jobs: JobsDep, settings: SettingsDep
) -> Response:
    row = await find_job(store=jobs.store, job_id=task_id, owner=owner_of(user))
    if row.state != JobState.COMPLETE:
        raise ProblemError(409, detail=f"The task is {row.state}; it has no artifacts yet.")
    path, media_type = artifact_file(settings.data_dir, row, name)
    disposition = f'inline; filename="{name}"'
    return FileResponse(path, media_type=media_type, headers={"Content-Disposition": disposition})
