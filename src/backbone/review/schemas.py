"""What the review API answers: the webhook's acknowledgement, a review, a page of them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from backbone.core.pagination import Page
from backbone.review.models import ReviewState

__all__ = ["Review", "ReviewPage", "WebhookAck", "page_of_reviews"]


class WebhookAck(BaseModel):
    """The answer to a delivery: what the service did with it."""

    delivery: str | None = Field(description="The X-GitHub-Delivery it answers.")
    event: str | None
    action: str | None
    outcome: Literal["pong", "queued", "duplicate", "skipped", "ignored"]
    reason: str | None = Field(description="Why a delivery was skipped or ignored.")
    review_id: uuid.UUID | None = Field(description="The review it recorded, or repeats.")


class Review(BaseModel):
    """One review as the API shows it."""

    review_id: uuid.UUID
    repository: str
    pull_number: int = Field(ge=1)
    head_sha: str
    title: str
    delivery: str
    action: str
    sender: str
    status: ReviewState
    attempts: int = Field(ge=0)
    error: str | None
    findings: int | None = Field(ge=0)
    comment_url: str | None
    review_url: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Review:
        """The review in ``row``, a row of the review table."""
        return cls(
            review_id=row["id"],
            repository=row["repository"],
            pull_number=row["pull_number"],
            head_sha=row["head_sha"],
            title=row["title"],
            delivery=row["delivery"],
            action=row["action"],
            sender=row["sender"],
            status=ReviewState(row["state"]),
            attempts=row["attempts"],
            error=row["error"],
            findings=row["findings"],
            comment_url=row["comment_url"],
            review_url=row["review_url"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
        )


ReviewPage = Page[Review]
"""One page of reviews, newest first."""


def page_of_reviews(
    rows: Sequence[Mapping[str, Any]],
    *,
    total: int,
    limit: int,
    offset: int,
    filters: Mapping[str, object | None],
) -> Page[Review]:
    """The page holding ``rows`` out of ``total``; ``next`` keeps the filters."""
    items = [Review.of(row) for row in rows]
    return ReviewPage.of(
        items, total=total, limit=limit, offset=offset, path="/reviews", filters=filters
    )
