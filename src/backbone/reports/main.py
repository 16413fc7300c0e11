"""The report processor API's app factory: ``backbone serve reports`` (port 8001) runs it.

The app holds the jobs layer's API side for report jobs (:class:`~backbone.jobs.JobsApi`:
a database engine with a short connect timeout, the Celery app it publishes with, a
broker probe for readiness and queue depth). Nothing connects until the first request:
building the app needs neither PostgreSQL nor the broker.
"""

from __future__ import annotations

from fastapi import FastAPI

from backbone import __version__
from backbone.core.app import create_service_app
from backbone.core.logging import configure_logging
from backbone.jobs import JobsApi
from backbone.reports.config import ReportsSettings, get_settings
from backbone.reports.kind import REPORTS
from backbone.reports.routes import router

__all__ = ["create_app"]

DESCRIPTION = (
    "Submit a report job (202 at once), follow its status, download the report; "
    "Celery workers do the work. See contracts/openapi/reports.yaml."
)
TAGS = [{"name": "reports"}, {"name": "operations"}]


def create_app(settings: ReportsSettings | None = None) -> FastAPI:
    """The report processor's API (settings from the environment by default)."""
    settings = settings or get_settings()
    if settings.database_url is None or settings.broker is None:
        raise ValueError("the report processor needs DATABASE_URL and REDIS_URL (the broker)")
    configure_logging(level=settings.log_level, fmt=settings.log_format, file=settings.log_file)
    jobs = JobsApi(REPORTS, settings)
    app = create_service_app(
        title="backbone report processor",
        version=__version__,
        settings=settings,
        readiness_checks=jobs.readiness_checks,
        lifespan=jobs.lifespan,
        description=DESCRIPTION,
        openapi_tags=TAGS,
    )
    jobs.install(app, noun="Report jobs")
    app.include_router(router)
    return app
