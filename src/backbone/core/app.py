"""``create_service_app``: one call wires the shared plumbing into a FastAPI service.

A service is then::

    app = create_service_app(title="...", version="...", settings=settings)
    app.include_router(router)

Middleware, outermost first: metrics → request id → body size limit → the safety net
for unhandled errors → FastAPI's own exception handling (problem+json) → the routes.
Graceful shutdown: uvicorn turns SIGTERM into the lifespan's shutdown, where the
service's ``lifespan`` closes whatever it opened (engines, Redis clients).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI

from backbone.core.config import CoreSettings
from backbone.core.health import ReadinessCheck, health_router
from backbone.core.metrics import HttpMetrics, MetricsMiddleware, metrics_router
from backbone.core.middleware import (
    BodySizeLimitMiddleware,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from backbone.core.problems import install_problem_handlers

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def create_service_app(
    *,
    title: str,
    version: str,
    settings: CoreSettings,
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    lifespan: Lifespan | None = None,
    description: str = "",
    openapi_tags: Sequence[Mapping[str, Any]] | None = None,
    app_class: type[FastAPI] = FastAPI,
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """A FastAPI app with problem+json errors, request ids, body limit, health, metrics."""
    app = app_class(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
        openapi_tags=[dict(tag) for tag in openapi_tags] if openapi_tags else None,
    )
    app.state.settings = settings
    app.state.readiness_checks = dict(readiness_checks or {})
    app.state.readiness_reports = {}
    app.state.metrics = HttpMetrics()
    install_problem_handlers(app)
    app.include_router(health_router())
    app.include_router(metrics_router())
    # add_middleware puts each new one outside the previous ones.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes, path_limits=body_limits
    )
    app.add_middleware(RequestIdMiddleware, header=settings.request_id_header)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app
