"""The plan kind's Celery app: ``celery -A tests.integration.jobs._worker:app worker``."""

from __future__ import annotations

from celery import Celery

from backbone.jobs import Worker
from tests.integration.jobs._plans import PLANS, PlanSettings

worker: Worker[PlanSettings] = Worker(PLANS, PlanSettings())
app: Celery = worker.celery
