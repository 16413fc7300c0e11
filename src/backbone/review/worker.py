"""The review worker: the Celery app that ``backbone worker review`` starts.

CrewAI and the review's handler are imported here, in the parent process, before Celery
forks its pool, so no review pays CrewAI's import. The jobs layer's :class:`Worker`
configures the rest; the work is :class:`backbone.review.handler.ReviewHandler`'s.
"""

from __future__ import annotations

from celery import Celery

from backbone.agents import configure_crewai, preload_crewai
from backbone.jobs import Worker
from backbone.review.config import ReviewSettings, get_settings
from backbone.review.kind import REVIEWS

__all__ = ["app", "worker"]

settings = get_settings()
configure_crewai(data_dir=settings.data_dir)
preload_crewai()
worker: Worker[ReviewSettings] = Worker(REVIEWS, settings)
app: Celery = worker.celery
