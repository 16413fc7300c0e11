"""The review job kind: what the jobs layer needs to know about reviews."""

from __future__ import annotations

import importlib

from backbone.jobs import JobHandler, JobKind, JobState
from backbone.review.config import ReviewSettings
from backbone.review.models import REVIEW_JOBS, ReviewState

__all__ = ["REVIEWS", "TASK_NAME"]

TASK_NAME = "backbone.review.review_pull_request"


def _handler(settings: ReviewSettings) -> JobHandler:
    # Imported by the worker only: the webhook API never loads the GitHub client, ruff's
    # runner or the crew.
    handler: JobHandler = importlib.import_module("backbone.review.handler").ReviewHandler(settings)
    return handler


REVIEWS: JobKind[ReviewSettings] = JobKind(
    name="review",
    task=TASK_NAME,
    table=REVIEW_JOBS,
    handler=_handler,
    states=tuple(JobState(state) for state in ReviewState),
)
