"""The routes of contracts/openapi/flaky.yaml: ``/flaky/{key}`` and ``/patterns/{key}``."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from backbone.core.problems import ProblemError, problem_responses
from backbone.mocks._common import sleep_unless_disconnected
from backbone.mocks.flaky.config import FlakySettings
from backbone.mocks.flaky.deps import SettingsDep, StoreDep, require_json
from backbone.mocks.flaky.schemas import KEY_PATTERN, FlakyResult, Pattern, PatternState
from backbone.mocks.flaky.store import CallOutcome

logger = logging.getLogger(__name__)

router = APIRouter()

Key = Annotated[
    str,
    Path(
        pattern=KEY_PATTERN,
        description="The pattern's key; letters, digits, `.`, `_` and `-`.",
    ),
]

FAILURE_STATUSES = (429, 500, 502, 503, 504)
_FAILURES: dict[int | str, dict[str, Any]] = {
    status: {
        **response,
        "headers": {
            "Retry-After": {
                "description": "Present when the pattern sets `retry_after`.",
                "schema": {"type": "string"},
            }
        },
    }
    for status, response in problem_responses(
        FAILURE_STATUSES, description="An injected failure (or a hang that ended)."
    ).items()
}
_INVALID = problem_responses([422], description="The request did not validate.")
_POST_BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {}},
        },
    }
}


async def _fail(outcome: CallOutcome, *, request: Request, settings: FlakySettings) -> None:
    pattern = outcome.pattern
    headers = {"Retry-After": pattern.retry_after} if pattern.retry_after else {}
    which = f"failure {outcome.attempt} of {pattern.fail_times} for key {outcome.key!r}"
    if pattern.failure == "hang":
        seconds = min(pattern.hang_seconds, settings.max_hang_seconds)
        if await sleep_unless_disconnected(request, seconds):
            logger.info("flaky_hang_abandoned key=%s attempt=%d", outcome.key, outcome.attempt)
        raise ProblemError(504, detail=f"Injected {which}: hung {seconds:g}s.", headers=headers)
    logger.info(
        "flaky_failure key=%s attempt=%d status=%d", outcome.key, outcome.attempt, pattern.status
    )
    raise ProblemError(pattern.status, detail=f"Injected {which}.", headers=headers)


async def _call(
    key: str, *, request: Request, store: StoreDep, settings: SettingsDep, body_bytes: int | None
) -> FlakyResult:
    outcome = await store.record_call(key)
    if outcome.fails:
        await _fail(outcome, request=request, settings=settings)
    logger.info("flaky_success key=%s attempt=%d", key, outcome.attempt)
    message = f"Call {outcome.attempt} for key {key!r} succeeded."
    return FlakyResult(key=key, attempt=outcome.attempt, message=message, body_bytes=body_bytes)


@router.get(
    "/flaky/{key}",
    tags=["flaky"],
    operation_id="callFlaky",
    summary="One call to the unreliable endpoint.",
    response_model=FlakyResult,
    response_model_exclude_none=True,
    responses={
        200: {"description": "This call succeeded (the key's failures are used up)."},
        **_INVALID,
        **_FAILURES,
    },
)
async def call_flaky(
    key: Key, request: Request, store: StoreDep, settings: SettingsDep
) -> FlakyResult:
    return await _call(key, request=request, store=store, settings=settings, body_bytes=None)


@router.post(
    "/flaky/{key}",
    tags=["flaky"],
    operation_id="postFlaky",
    summary="The same behaviour for a non-idempotent method.",
    description="The request body, if any, is read and its size reported.",
    response_model=FlakyResult,
    response_model_exclude_none=True,
    openapi_extra=_POST_BODY,
    responses={
        200: {"description": "This call succeeded."},
        **problem_responses([413]),
        **_INVALID,
        **_FAILURES,
    },
)
async def post_flaky(
    key: Key, request: Request, store: StoreDep, settings: SettingsDep
) -> FlakyResult:
    body = await request.body()
    return await _call(key, request=request, store=store, settings=settings, body_bytes=len(body))


@router.get(
    "/patterns/{key}",
    tags=["patterns"],
    operation_id="getPattern",
    summary="The key's pattern and how many calls it has seen.",
    response_model=PatternState,
    responses={
        200: {"description": "The key's state (the default pattern if never configured)."},
        **_INVALID,
    },
)
async def get_pattern(key: Key, store: StoreDep) -> PatternState:
    return await store.get(key)


@router.put(
    "/patterns/{key}",
    tags=["patterns"],
    operation_id="putPattern",
    summary="Set the key's failure pattern and reset its call count.",
    response_model=PatternState,
    dependencies=[Depends(require_json)],
    responses={
        200: {"description": "The pattern now in force."},
        **problem_responses([400], description="The body could not be decoded."),
        **problem_responses([413, 415]),
        **_INVALID,
    },
)
async def put_pattern(key: Key, pattern: Pattern, store: StoreDep) -> PatternState:
    logger.info("flaky_pattern_set key=%s fail_times=%d", key, pattern.fail_times)
    return await store.put(key, pattern)


@router.delete(
    "/patterns/{key}",
    tags=["patterns"],
    operation_id="resetPattern",
    summary="Forget the key's pattern and call count.",
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "Reset; the key is back to the default pattern with no calls."},
        **_INVALID,
    },
)
async def reset_pattern(key: Key, store: StoreDep) -> Response:
    await store.reset(key)
    logger.info("flaky_pattern_reset key=%s", key)
    return Response(status_code=204)
