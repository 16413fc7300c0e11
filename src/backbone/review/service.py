"""Recording a review: what the webhook route asks of the jobs layer.

:func:`record_review` records the review and queues it (all or nothing: the jobs layer's
submit), with the delivery's id as its idempotency key. Three answers:

- ``queued``: a new review, recorded and published; the pending or running reviews of
  older heads of the same pull request are then cancelled as superseded (not for
  ``opened``: a pull request just opened has no older head);
- ``duplicate`` (a redelivery): the delivery's review, already recorded;
- ``duplicate`` (another delivery of a head already reviewed or being reviewed): that
  review. The partial unique index on (repository, pull request, head) decides, in the
  database, so replicas agree.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import asyncpg

from backbone.jobs import IdempotencyKey, JobQueue, JobState, JobStore, submit_or_replay
from backbone.review.models import LIVE_STATES
from backbone.review.webhook import PullRequestEvent

__all__ = ["Recorded", "record_review", "supersede_older_heads"]

logger = logging.getLogger(__name__)

_LIVE_FOR_HEAD = (
    "SELECT id FROM review_jobs WHERE repository = $1 AND pull_number = $2"
    " AND head_sha = $3 AND state = ANY($4::text[]) ORDER BY created_at LIMIT 1"
)
_SUPERSEDE = (
    "UPDATE review_jobs SET state = $5, error = $6, finished_at = now()"
    " WHERE repository = $1 AND pull_number = $2 AND head_sha <> $3"
    " AND state = ANY($4::text[])"
    " AND (head_updated_at IS NULL OR $7::timestamptz IS NULL OR head_updated_at <= $7)"
    " RETURNING id"
)
_OPEN = [JobState.PENDING.value, JobState.IN_PROGRESS.value]


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a delivery did: the review it names, and whether it made a new one."""

    review_id: uuid.UUID
    new: bool


async def record_review(
    *, store: JobStore, queue: JobQueue, delivery: str, event: PullRequestEvent
) -> Recorded:
    """Record and queue the review ``event`` asks for, once per delivery and per head."""
    pull = event.pull_request
    repository = event.repo.full_name
    # A delivery id names one delivery's bytes; GitHub redelivers the same ones. The key's
    # fingerprint is the delivery id itself: the same id is always the same request.
    key = IdempotencyKey.of(f"github-delivery:{delivery}", delivery)
    try:
        submitted = await submit_or_replay(
            store=store,
            queue=queue,
            owner=None,
            idempotency_key=key,
            repository=repository,
            pull_number=pull.number,
            head_sha=pull.head.sha,
            head_updated_at=pull.updated_at,
            title=pull.title,
            delivery=delivery,
            action=event.action,
            sender=event.sender.login,
            installation_id=event.installation.id if event.installation else None,
        )
    except asyncpg.UniqueViolationError:
        # Another delivery made this head's review first (committed, so it is there).
        async with store.connection() as conn:
            existing = await conn.fetchval(
                _LIVE_FOR_HEAD, repository, pull.number, pull.head.sha, list(LIVE_STATES)
            )
        if existing is None:  # it failed or was cancelled meanwhile: a rare race
            raise
        logger.info("review_duplicate_head delivery=%s review_id=%s", delivery, existing)
        return Recorded(existing, new=False)
    if submitted.replayed:
        logger.info("review_redelivery delivery=%s review_id=%s", delivery, submitted.job_id)
        return Recorded(submitted.job_id, new=False)
    if event.action != "opened":  # a pull request just opened has no older head
        await supersede_older_heads(store=store, queue=queue, event=event)
    return Recorded(submitted.job_id, new=True)


async def supersede_older_heads(
    *, store: JobStore, queue: JobQueue, event: PullRequestEvent
) -> list[uuid.UUID]:
    """Cancel the pending or running reviews of the pull request's older heads (those not
    known to be newer than this one); their ids."""
    pull = event.pull_request
    reason = f"superseded by {pull.head.sha}"
    async with store.connection() as conn:
        rows = await conn.fetch(
            _SUPERSEDE,
            event.repo.full_name,
            pull.number,
            pull.head.sha,
            _OPEN,
            JobState.CANCELLED.value,
            reason,
            pull.updated_at,
        )
    superseded = [row["id"] for row in rows]
    for review_id in superseded:
        logger.info("review_superseded review_id=%s by=%s", review_id, pull.head.sha)
        await queue.revoke(review_id)
    return superseded
