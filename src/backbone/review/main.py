"""The review service's app factory: ``backbone serve review`` (port 8003) runs it.

Building the app needs neither PostgreSQL nor the broker: nothing connects until the
first request.
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import Counter

from backbone import __version__
from backbone.core.app import create_service_app
from backbone.core.logging import configure_logging
from backbone.jobs import JobsApi
from backbone.review.config import ReviewSettings, get_settings
from backbone.review.kind import REVIEWS
from backbone.review.routes import router

__all__ = ["create_app"]

DESCRIPTION = (
    "GitHub webhook in, grounded review comment out: deliveries are verified, recorded and "
    "queued at once; Celery workers review. See contracts/openapi/review.yaml."
)
TAGS = [{"name": "webhooks"}, {"name": "reviews"}, {"name": "operations"}]


def create_app(settings: ReviewSettings | None = None) -> FastAPI:
    """The review service's API (settings from the environment by default)."""
    settings = settings or get_settings()
    if settings.database_url is None or settings.broker is None:
        raise ValueError("the review service needs DATABASE_URL and REDIS_URL (the broker)")
    configure_logging(level=settings.log_level, fmt=settings.log_format, file=settings.log_file)
    jobs = JobsApi(REVIEWS, settings)
    app = create_service_app(
        title="backbone code-review service",
        version=__version__,
        settings=settings,
        readiness_checks=jobs.readiness_checks,
        lifespan=jobs.lifespan,
        description=DESCRIPTION,
        openapi_tags=TAGS,
    )
    jobs.install(app, noun="Reviews")
    app.state.deliveries = Counter(
        "review_webhook_deliveries",
        "Webhook deliveries, by event and what was done with them.",
        ("event", "outcome"),
        registry=app.state.metrics.registry,
    )
    app.include_router(router)
    return app
