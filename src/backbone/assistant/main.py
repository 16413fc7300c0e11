"""The assistant API's app factory: ``backbone serve assistant`` (port 8002) runs it.

The app holds:

- the jobs layer's API side for agent tasks (:class:`~backbone.jobs.JobsApi`: the task
  table's store, the Celery app it publishes with, a broker probe, 503 handlers);
- a SQLModel engine for the account tables (``app.state.session_factory``, see
  :mod:`backbone.assistant.db`);
- the auth machinery (``app.state.auth``: passwords, tokens, rate limits on Redis);
- the recommendation model's store and its refresher, a background task of the lifespan
  (:mod:`backbone.assistant.recommendations.service`).

Nothing connects until the first request: building the app needs neither PostgreSQL
nor Redis. Routers are included at the end of :func:`create_app`, one line each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backbone import __version__
from backbone.agents import AgentSettings, acheck_llm
from backbone.assistant.auth.context import AuthContext
from backbone.assistant.auth.routes import router as auth_router
from backbone.assistant.config import AssistantSettings, get_settings
from backbone.assistant.datasets.routes import DATASETS_PATH
from backbone.assistant.datasets.routes import router as datasets_router
from backbone.assistant.db import database_engine
from backbone.assistant.kind import ASSISTANT
from backbone.assistant.recommendations.service import RecommendationsApi
from backbone.assistant.tasks.approval import router as approval_router
from backbone.assistant.tasks.routes import router as tasks_router
from backbone.core.app import create_service_app
from backbone.core.db import session_factory
from backbone.core.health import ReadinessCheck
from backbone.core.logging import configure_logging, mask_secret
from backbone.core.redis import check_redis, create_redis
from backbone.jobs import JobsApi

__all__ = ["create_app"]

UPLOAD_ENVELOPE = 64 * 1024
"""Bytes of multipart framing (boundaries, part headers, the name field) allowed around a file."""

DESCRIPTION = (
    "The agentic AI backend: users and JWT auth, datasets, agent tasks run by CrewAI "
    "agents in Celery workers. See contracts/openapi/assistant.yaml."
)
TAGS = [
    {"name": "auth", "description": "Registration, tokens, the current user."},
    {"name": "users", "description": "Administration (the `admin` role)."},
    {"name": "datasets", "description": "Uploaded tables the analysis reads."},
    {"name": "tasks", "description": "Agent tasks, their steps, events and artifacts."},
    {
        "name": "recommendations",
        "description": "Real-time recommendations from the orders (no model on the path).",
    },
    {"name": "operations"},
]


def _llm_check(agents: AgentSettings) -> ReadinessCheck:
    """Readiness of the configured model: ``local`` always; a real one needs its key, a
    known provider and (with a base URL) a server that answers."""

    async def check() -> None:
        status = await acheck_llm(agents)
        if not status.ok:
            raise RuntimeError(status.reason or "the model is not ready")

    return check


def create_app(settings: AssistantSettings | None = None) -> FastAPI:
    """The assistant's API (settings from the environment by default)."""
    settings = settings or get_settings()
    if settings.database_url is None or settings.redis_url is None:
        raise ValueError("the assistant needs DATABASE_URL and REDIS_URL")
    configure_logging(level=settings.log_level, fmt=settings.log_format, file=settings.log_file)
    mask_secret(settings.jwt_secret.get_secret_value())
    jobs = JobsApi(ASSISTANT, settings)
    engine = database_engine(settings)
    # A short timeout: the login limit fails closed (503) rather than hang on Redis.
    redis = create_redis(
        settings.redis_url,
        socket_timeout=settings.limiter_timeout,
        socket_connect_timeout=settings.limiter_timeout,
    )

    recommendations = RecommendationsApi(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with jobs.lifespan(app), recommendations.lifespan():
            try:
                yield
            finally:
                await redis.aclose()
                await engine.dispose()

    app = create_service_app(
        title="backbone assistant",
        version=__version__,
        settings=settings,
        readiness_checks={
            **jobs.readiness_checks,
            "redis": lambda: check_redis(redis),
            "llm": _llm_check(AgentSettings()),
        },
        lifespan=lifespan,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        # An upload's own cap, with room for the multipart envelope around the file.
        body_limits={DATASETS_PATH: settings.dataset_max_bytes + UPLOAD_ENVELOPE},
    )
    jobs.install(app, noun="Agent tasks")
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.auth = AuthContext.create(settings, redis)
    app.include_router(auth_router)
    app.include_router(datasets_router)
    app.include_router(tasks_router)
    app.include_router(approval_router)
    recommendations.install(app)
    return app
