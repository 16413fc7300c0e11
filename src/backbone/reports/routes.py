"""``/generate-report`` and ``/reports``: submit, follow, read, cancel and list report jobs."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import PlainTextResponse, Response

from backbone.core.pagination import Limit, Offset
from backbone.core.problems import problem_responses
from backbone.jobs import (
    ANY_OWNER,
    IdempotencyKey,
    JobState,
    cancel_job,
    find_job,
    submit_or_replay,
    unavailable_responses,
)
from backbone.reports import service
from backbone.reports.deps import IdempotencyKeyHeader, JobsDep, ReportRequestDep, SettingsDep
from backbone.reports.models import ReportState
from backbone.reports.schemas import (
    JobAccepted,
    JobPage,
    JobStatus,
    ReportRequest,
    page_of_jobs,
    status_path,
)

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["reports"])

JobId = Annotated[uuid.UUID, Path(description="The job's id, as the 202 gave it.")]
StatusFilter = Annotated[ReportState | None, Query(description="Only jobs in this state.")]

Responses = dict[int | str, dict[str, Any]]

_RETRY_AFTER = {"description": "Seconds to wait.", "schema": {"type": "string"}}
VALIDATION = problem_responses([422], description="The request did not validate.")
UNAVAILABLE: Responses = unavailable_responses()
NOT_FOUND = problem_responses([404], description="No job has this id.")
REPORT_TEXT = {"text/plain": {"schema": {"type": "string"}}}
REQUEST_BODY = {
    "required": False,
    "content": {"application/json": {"schema": ReportRequest.model_json_schema()}},
}


def _submit_responses() -> Responses:
    headers = {
        "Location": {"description": "The job's status URL.", "schema": {"type": "string"}},
        "Retry-After": _RETRY_AFTER,
        "Idempotent-Replayed": {
            "description": "`true` when the Idempotency-Key's earlier job is answered again.",
            "schema": {"type": "string", "enum": ["true"]},
        },
    }
    return {
        202: {"description": "Accepted; the job is recorded and queued.", "headers": headers},
        **problem_responses([400], description="The body is not UTF-8."),
        **problem_responses([413, 415]),
        **problem_responses(
            [422],
            description="The body or the Idempotency-Key did not validate, or the key was"
            " used before for another request.",
        ),
        **UNAVAILABLE,
    }


def _job_responses(ok: str, *extra: int) -> Responses:
    return {
        200: {"description": ok},
        **NOT_FOUND,
        **problem_responses(extra),
        **VALIDATION,
        **UNAVAILABLE,
    }


@router.post(
    "/generate-report",
    operation_id="generateReport",
    summary="Submit a report job; answers 202 at once.",
    status_code=202,
    response_model=JobAccepted,
    responses=_submit_responses(),
    openapi_extra={"requestBody": REQUEST_BODY},
)
async def generate_report(
    spec: ReportRequestDep,
    jobs: JobsDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JobAccepted:
    # The request is the validated report, defaults applied: no body, `{}` and the
    # default title written out are one request, whatever the spacing or member order.
    key = None
    if idempotency_key is not None:
        key = IdempotencyKey.of(idempotency_key, spec.model_dump(mode="json"))
    submitted = await submit_or_replay(
        store=jobs.store, queue=jobs.queue, owner=None, idempotency_key=key, title=spec.title
    )
    job_id = submitted.job_id
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        logger.info("job_submitted kind=reports job_id=%s queue=%s", job_id, settings.queue)
    response.headers["Location"] = status_path(job_id)
    response.headers["Retry-After"] = str(settings.retry_after)
    return JobAccepted(job_id=job_id)


@router.get(
    "/reports",
    operation_id="listReports",
    summary="A page of jobs, newest first, optionally only those in one state.",
    response_model=JobPage,
    responses={200: {"description": "The page (possibly empty)."}, **VALIDATION, **UNAVAILABLE},
)
async def list_reports(
    jobs: JobsDep, limit: Limit = 20, offset: Offset = 0, status: StatusFilter = None
) -> JobPage:
    state = None if status is None else JobState(status)
    rows, total = await jobs.store.page(owner=ANY_OWNER, state=state, limit=limit, offset=offset)
    return page_of_jobs(rows, total=total, limit=limit, offset=offset, status=status)


@router.get(
    "/reports/{job_id}/status",
    operation_id="getReportStatus",
    summary="Where a job is: pending, in-progress, complete, failed or cancelled.",
    response_model=JobStatus,
    responses=_job_responses("The job's status."),
)
async def get_report_status(
    job_id: JobId, jobs: JobsDep, settings: SettingsDep, response: Response
) -> JobStatus:
    status = JobStatus.of(await find_job(store=jobs.store, job_id=job_id, owner=ANY_OWNER))
    if not status.final:
        response.headers["Retry-After"] = str(settings.retry_after)
    return status


@router.get(
    "/reports/{job_id}",
    operation_id="getReport",
    summary="The report of a complete job, as text.",
    response_class=PlainTextResponse,
    responses={
        **_job_responses("The report.", 409, 410),
        200: {
            "description": "The report.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
    },
)
async def get_report(job_id: JobId, jobs: JobsDep, settings: SettingsDep) -> Response:
    text = await service.read_report(
        store=jobs.store,
        job_id=job_id,
        reports_dir=settings.reports_dir,
        retry_after=settings.retry_after,
    )
    disposition = f'inline; filename="{job_id}.txt"'
    return PlainTextResponse(text, headers={"Content-Disposition": disposition})


@router.delete(
    "/reports/{job_id}",
    operation_id="cancelReport",
    summary="Cancel a pending or running job.",
    response_model=JobStatus,
    responses=_job_responses("The job is cancelled; its status.", 409),
)
async def cancel_report(job_id: JobId, jobs: JobsDep) -> JobStatus:
    job = await cancel_job(store=jobs.store, queue=jobs.queue, job_id=job_id, owner=ANY_OWNER)
    return JobStatus.of(job)
