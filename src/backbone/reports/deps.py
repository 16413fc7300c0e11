"""Dependency aliases of the report processor's API (tests override them through the app)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from backbone.core.problems import ProblemError
from backbone.jobs import KEY_PATTERN, MAX_KEY_LENGTH, JobsApi
from backbone.reports.config import ReportsSettings
from backbone.reports.schemas import ReportRequest

__all__ = [
    "IdempotencyKeyHeader",
    "JobsDep",
    "ReportRequestDep",
    "SettingsDep",
    "report_request",
]

JSON = "application/json"


# Async although they do not await: FastAPI runs a plain ``def`` dependency in a thread.
async def get_reports_settings(request: Request) -> ReportsSettings:
    """The settings the app was created with."""
    settings: ReportsSettings = request.app.state.settings
    return settings


async def get_jobs(request: Request) -> JobsApi:
    """The app's report jobs: their store and queue."""
    jobs: JobsApi = request.app.state.jobs
    return jobs


async def report_request(request: Request) -> ReportRequest:
    """The optional JSON body of ``POST /generate-report``: defaults when there is none.

    Read here rather than by FastAPI, which takes a JSON ``null`` for "no body": 415
    for a body that is not ``application/json``, 400 for one that is not UTF-8, 422
    for one that does not validate (unknown members, ``null``, a bad title).
    """
    body = await request.body()
    if not body:
        return ReportRequest()
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != JSON:
        raise ProblemError(
            415, detail=f"Send the body as {JSON}, or no body.", headers={"Accept-Post": JSON}
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProblemError(400, detail="The body is not UTF-8.") from None
    try:
        return ReportRequest.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in errors]
        ) from None


SettingsDep = Annotated[ReportsSettings, Depends(get_reports_settings)]
JobsDep = Annotated[JobsApi, Depends(get_jobs)]
ReportRequestDep = Annotated[ReportRequest, Depends(report_request)]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=KEY_PATTERN,
        description="A key for this submit: the same key and request again is the same job.",
    ),
]
"""The optional ``Idempotency-Key`` header; a malformed one is a 422 like any bad input."""
