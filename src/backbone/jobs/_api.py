"""An API's side of a job kind: its store, queue and broker probe, wired into a FastAPI app.

::

    jobs = JobsApi(KIND, settings)
    app = create_service_app(
        ..., readiness_checks=jobs.readiness_checks, lifespan=jobs.lifespan
    )
    jobs.install(app)          # 503s for unreachable stores, the kind's gauges

Nothing connects until the first request: building the app needs neither PostgreSQL
nor the broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from starlette.responses import Response

from backbone.core.health import ReadinessCheck
from backbone.core.metrics import add_scrape_hook
from backbone.core.problems import problem_for_request, problem_responses
from backbone.jobs._broker import REDIS_SCHEMES, broker_probe
from backbone.jobs._celery import create_celery
from backbone.jobs._errors import BrokerUnavailable, DatabaseUnavailable, IdempotencyKeyReused
from backbone.jobs._idempotency import KEY_REUSED
from backbone.jobs._kind import JobKind
from backbone.jobs._metrics import JobMetrics
from backbone.jobs._publish import RedisPublisher
from backbone.jobs._settings import JobQueueSettings
from backbone.jobs._store import JobStore
from backbone.jobs._submit import JobQueue

__all__ = ["JobsApi"]


def unavailable_responses(
    description: str = "The database or the broker is unreachable.",
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses=`` entry of the 503 :class:`JobsApi` answers (problem+json
    with a required ``Retry-After``), for the routes of a job service."""
    retry_after = {"description": "Seconds to wait.", "schema": {"type": "string"}}
    return {
        503: {
            **problem_responses([503], description=description)[503],
            "headers": {"Retry-After": {**retry_after, "required": True}},
        }
    }


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


async def _key_reused(request: Request, exc: Exception) -> Response:
    return problem_for_request(
        request,
        422,
        title="Idempotency-Key is already used",
        detail=str(exc),
        type_=KEY_REUSED,
    )


class JobsApi:
    """The store, queue and probe of one job kind, for an API process."""

    def __init__(self, kind: JobKind[Any], settings: JobQueueSettings) -> None:
        if settings.database_url is None or settings.broker is None:
            raise ValueError(f"the {kind.name} API needs DATABASE_URL and REDIS_URL (the broker)")
        self.kind = kind
        self.settings = settings
        self.celery = create_celery(settings, main=f"backbone.{kind.name}")
        self.probe = broker_probe(self.celery, settings.broker)
        # A short connect timeout, so that a dead database is a quick 503.
        self.store = JobStore(
            kind.table,
            settings.database_url.get_secret_value(),
            steps=kind.steps,
            pool_size=settings.database_pool_size,
            timeout=settings.database_timeout,
        )
        redis = None
        if urlsplit(settings.broker).scheme in REDIS_SCHEMES:
            redis = RedisPublisher(self.celery, settings.broker, queue=settings.queue)
        self.queue = JobQueue(kind.name, self.celery, kind.task, settings.queue, redis)

    @property
    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        """``/readyz``'s checks: the database and the broker answer."""
        return {"database": self.store.ping, "broker": self.probe.ping}

    def install(self, app: FastAPI, *, noun: str = "Jobs") -> None:
        """503 with ``Retry-After`` for unreachable stores, 422 for a reused idempotency
        key, and the kind's gauges."""
        retry_after = self.settings.retry_after
        for error, what in ((DatabaseUnavailable, "database"), (BrokerUnavailable, "broker")):
            app.add_exception_handler(error, _unavailable_handler(what, retry_after))
        app.add_exception_handler(IdempotencyKeyReused, _key_reused)
        name = self.kind.name
        metrics = JobMetrics(app.state.metrics.registry, prefix=name, noun=noun)
        add_scrape_hook(app, f"{name}_jobs", metrics.jobs_hook(self.store, self.kind.states))
        add_scrape_hook(
            app, f"{name}_queue_depth", metrics.queue_hook(self.probe, self.settings.queue)
        )
        app.state.jobs = self

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        """An app's lifespan that closes what this object opened, when the app stops."""
        try:
            yield
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the probe, the store's pool and the Celery app's connections."""
        await self.probe.aclose()
        if self.queue.redis is not None:
            await self.queue.redis.aclose()
        await self.store.aclose()
        await asyncio.to_thread(self.celery.close)
