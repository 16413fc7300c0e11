"""``/webhooks/github`` (what GitHub sends) and ``/reviews`` (what people read)."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from prometheus_client import Counter
from starlette.responses import JSONResponse

from backbone.core.pagination import Limit, Offset
from backbone.core.problems import ProblemError, problem_responses
from backbone.jobs import ANY_OWNER, JobState, unavailable_responses
from backbone.review.deps import JobsDep, ReaderDep, SettingsDep
from backbone.review.models import ReviewState
from backbone.review.schemas import Review, ReviewPage, WebhookAck, page_of_reviews
from backbone.review.service import record_review
from backbone.review.webhook import (
    DELIVERY_PATTERN,
    WebhookBodyError,
    decide,
    parse_body,
    signature_matches,
)

__all__ = ["deliveries_counter", "router"]

logger = logging.getLogger(__name__)

router = APIRouter()

MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded")
Responses = dict[int | str, dict[str, Any]]
UNAVAILABLE: Responses = unavailable_responses()
UNAUTHORIZED: Responses = {
    401: {
        **problem_responses([401], description="No bearer token, or not the right one.")[401],
        "headers": {"WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}}},
    }
}
VALIDATION = problem_responses([422], description="The request did not validate.")
WEBHOOK_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": {"payload": {"type": "string"}}}
        },
    },
}


def deliveries_counter(request: Request) -> Counter:
    """``review_webhook_deliveries_total{event,outcome}`` in the app's registry."""
    counter: Counter = request.app.state.deliveries
    return counter


def _webhook_responses() -> Responses:
    return {
        200: {"description": "A ping, answered.", "model": WebhookAck},
        202: {
            "description": "Accepted (queued, duplicate, skipped or ignored).",
            "model": WebhookAck,
        },
        **problem_responses([400], description="The body is not a JSON object."),
        **problem_responses([401], description="The signature is missing or wrong."),
        **problem_responses([413, 415]),
        **VALIDATION,
        **UNAVAILABLE,
    }


def _delivery(header: str | None) -> str | None:
    return header if header is not None and DELIVERY_PATTERN.match(header) else None


@router.post(
    "/webhooks/github",
    tags=["webhooks"],
    operation_id="receiveGitHubWebhook",
    summary="A GitHub webhook delivery; answers at once.",
    status_code=202,
    response_model=WebhookAck,
    responses=_webhook_responses(),
    openapi_extra={"requestBody": WEBHOOK_BODY},
)
async def receive_webhook(
    request: Request,
    jobs: JobsDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
    event: Annotated[str | None, Header(alias="X-GitHub-Event")] = None,
    delivery_header: Annotated[str | None, Header(alias="X-GitHub-Delivery")] = None,
) -> JSONResponse:
    body = await request.body()
    secret = settings.webhook_secret.get_secret_value().encode()
    # The signature first, on the raw bytes: nothing unsigned is parsed or recorded.
    if not signature_matches(secret, body, signature):
        logger.warning("webhook_bad_signature delivery=%s", _delivery(delivery_header))
        raise ProblemError(401, detail="The X-Hub-Signature-256 signature is missing or wrong.")
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise ProblemError(
            415,
            detail=f"GitHub sends {' or '.join(MEDIA_TYPES)}.",
            headers={"Accept-Post": ", ".join(MEDIA_TYPES)},
        )
    delivery = _delivery(delivery_header)
    ack = await _handle(request, jobs, settings, body, media_type, event, delivery)
    deliveries_counter(request).labels(event=event or "", outcome=ack.outcome).inc()
    status = 200 if ack.outcome == "pong" else 202
    return JSONResponse(ack.model_dump(mode="json"), status_code=status)


async def _handle(
    request: Request,
    jobs: JobsDep,
    settings: SettingsDep,
    body: bytes,
    media_type: str,
    event: str | None,
    delivery: str | None,
) -> WebhookAck:
    try:
        payload = parse_body(body, media_type)
        skip = frozenset(login.lower() for login in settings.skip_senders)
        decision = decide(event, payload, skip_senders=skip)
    except WebhookBodyError as exc:
        raise ProblemError(exc.status, detail=str(exc)) from None
    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    ack = {"delivery": delivery, "event": event, "action": action}
    if decision.outcome != "queued" or decision.event is None:
        if decision.outcome in ("skipped", "ignored"):
            logger.info(
                "webhook_%s delivery=%s reason=%s", decision.outcome, delivery, decision.reason
            )
        return WebhookAck(**ack, outcome=decision.outcome, reason=decision.reason, review_id=None)
    if delivery is None:
        raise ProblemError(422, detail="A pull_request delivery needs a valid X-GitHub-Delivery.")
    recorded = await record_review(
        store=jobs.store, queue=jobs.queue, delivery=delivery, event=decision.event
    )
    outcome = "queued" if recorded.new else "duplicate"
    logger.info("webhook_%s delivery=%s review_id=%s", outcome, delivery, recorded.review_id)
    return WebhookAck(**ack, outcome=outcome, reason=None, review_id=recorded.review_id)


ReviewId = Annotated[
    uuid.UUID, Path(description="The review's id, as the webhook's answer gave it.")
]
StatusFilter = Annotated[ReviewState | None, Query(description="Only reviews in this state.")]
RepositoryFilter = Annotated[
    str | None,
    Query(
        min_length=3,
        max_length=140,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$",
        description="Only this repository's reviews (`owner/name`).",
    ),
]
PullFilter = Annotated[
    int | None, Query(ge=1, le=2**31 - 1, description="Only this pull request's reviews.")
]


@router.get(
    "/reviews",
    tags=["reviews"],
    operation_id="listReviews",
    summary="A page of reviews, newest first.",
    response_model=ReviewPage,
    dependencies=[ReaderDep],
    responses={**UNAUTHORIZED, **VALIDATION, **UNAVAILABLE},
)
async def list_reviews(
    jobs: JobsDep,
    limit: Limit = 20,
    offset: Offset = 0,
    status: StatusFilter = None,
    repository: RepositoryFilter = None,
    pull_number: PullFilter = None,
) -> ReviewPage:
    where: dict[str, Any] = {}
    if repository is not None:
        where["repository"] = repository
    if pull_number is not None:
        where["pull_number"] = pull_number
    rows, total = await jobs.store.page(
        owner=ANY_OWNER,
        state=None if status is None else JobState(status.value),
        limit=limit,
        offset=offset,
        where=where,
    )
    filters = {
        "status": status.value if status else None,
        "repository": repository,
        "pull_number": pull_number,
    }
    return page_of_reviews(rows, total=total, limit=limit, offset=offset, filters=filters)


@router.get(
    "/reviews/{review_id}",
    tags=["reviews"],
    operation_id="getReview",
    summary="One review - what was reviewed, when, its state and the comment's URL.",
    response_model=Review,
    dependencies=[ReaderDep],
    responses={
        **UNAUTHORIZED,
        **problem_responses([404], description="No review has this id."),
        **VALIDATION,
        **UNAVAILABLE,
    },
)
async def get_review(review_id: ReviewId, jobs: JobsDep) -> Review:
    row = await jobs.store.get(review_id, owner=ANY_OWNER)
    if row is None:
        raise ProblemError(404, detail=f"No review has id {review_id}.")
    return Review.of(row)
