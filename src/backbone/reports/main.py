"""The report processor API's app factory: ``backbone serve reports`` (port 8001) runs it.

The app holds a database engine (asyncpg, short connect timeout), the Celery app it
publishes with, and a broker probe (readiness, queue depth). Nothing connects until
the first request: building the app needs neither PostgreSQL nor the broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import Response

from backbone import __version__
from backbone.core.app import create_service_app
from backbone.core.db import check_database, create_engine, session_factory
from backbone.core.logging import configure_logging
from backbone.core.metrics import add_scrape_hook
from backbone.core.problems import problem_for_request
from backbone.reports.broker import BrokerProbe, broker_probe
from backbone.reports.config import ReportsSettings, get_settings
from backbone.reports.crud import DatabaseUnavailable
from backbone.reports.metrics import ReportsMetrics
from backbone.reports.queue import BrokerUnavailable, create_celery
from backbone.reports.routes import router

__all__ = ["create_app"]

DESCRIPTION = (
    "Submit a report job (202 at once), follow its status, download the report; "
    "Celery workers do the work. See contracts/openapi/reports.yaml."
)
TAGS = [{"name": "reports"}, {"name": "operations"}]


def _unavailable_handler(
    what: str, retry_after: int
) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def unavailable(request: Request, exc: Exception) -> Response:
        return problem_for_request(
            request,
            503,
            detail=f"The {what} cannot be reached; nothing was recorded. Try again later.",
            headers={"Retry-After": str(retry_after)},
        )

    return unavailable


def _engine(url: str, timeout: float, pool_size: int) -> AsyncEngine:
    """The job table's engine: a short connect timeout, so a dead database is a quick 503."""
    return create_engine(
        url,
        connect_args={"timeout": timeout, "command_timeout": timeout},
        pool_timeout=timeout,
        pool_size=pool_size,
        max_overflow=10,
    )


def _wire(app: FastAPI, settings: ReportsSettings, probe: BrokerProbe) -> None:
    """503s for unreachable stores, the scrape hooks, and the routes."""
    for error, what in ((DatabaseUnavailable, "database"), (BrokerUnavailable, "broker")):
        app.add_exception_handler(error, _unavailable_handler(what, settings.retry_after))
    metrics = ReportsMetrics(app.state.metrics.registry)
    add_scrape_hook(app, "reports_jobs", metrics.jobs_hook(app.state.session_factory))
    add_scrape_hook(app, "reports_queue_depth", metrics.queue_hook(probe, settings.queue))
    app.include_router(router)


def create_app(settings: ReportsSettings | None = None) -> FastAPI:
    """The report processor's API (settings from the environment by default)."""
    settings = settings or get_settings()
    if settings.database_url is None or settings.broker is None:
        raise ValueError("the report processor needs DATABASE_URL and REDIS_URL (the broker)")
    configure_logging(level=settings.log_level, fmt=settings.log_format, file=settings.log_file)
    engine = _engine(
        settings.database_url.get_secret_value(),
        settings.database_timeout,
        settings.database_pool_size,
    )
    celery = create_celery(settings)
    probe = broker_probe(celery, settings.broker)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await probe.aclose()
            await engine.dispose()
            await asyncio.to_thread(celery.close)

    app = create_service_app(
        title="backbone report processor",
        version=__version__,
        settings=settings,
        readiness_checks={"database": lambda: check_database(engine), "broker": probe.ping},
        lifespan=lifespan,
        description=DESCRIPTION,
        openapi_tags=TAGS,
    )
    app.state.session_factory = session_factory(engine)
    app.state.celery = celery
    _wire(app, settings, probe)
    return app
