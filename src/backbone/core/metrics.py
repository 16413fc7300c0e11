"""Prometheus metrics: request counts and latency per method, route template and status.

Every app gets its own :class:`prometheus_client.CollectorRegistry`, so several apps in
one process (tests, or two services in one interpreter) never collide with
"Duplicated timeseries". Labels are bounded: the route *template*
(``/flaky/{key}``, never the raw path), a fixed set of methods, ``<unmatched>`` for
requests no route took.

Values that live elsewhere (rows in a database, messages in a queue) are read when
scraped: :func:`add_scrape_hook` registers an async callable that ``/metrics`` runs
before rendering (hooks run concurrently, each within
:data:`SCRAPE_HOOK_TIMEOUT_SECONDS`; one that fails is logged and never fails the
scrape, so a hook should clear its series before reading, leaving them out when the
read fails).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backbone.core.http import HTTP_METHODS

logger = logging.getLogger(__name__)

UNMATCHED_ROUTE = "<unmatched>"
METRICS_PATH = "/metrics"
SCRAPE_HOOK_TIMEOUT_SECONDS = 2.0

ScrapeHook = Callable[[], Awaitable[object]]


class HttpMetrics:
    """The HTTP metrics of one app, in that app's own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests served, by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from request start to the end of the response, by method and route.",
            ("method", "route"),
            registry=self.registry,
        )
        self.scrape_hooks: dict[str, ScrapeHook] = {}

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        method = method if method in HTTP_METHODS else "OTHER"
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.latency.labels(method=method, route=route).observe(seconds)


def add_scrape_hook(app: FastAPI, name: str, hook: ScrapeHook) -> None:
    """Run ``hook`` before every ``/metrics`` answer of ``app`` (registered under ``name``)."""
    metrics: HttpMetrics = app.state.metrics
    metrics.scrape_hooks[name] = hook


async def _run_hook(name: str, hook: ScrapeHook, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await hook()
    except Exception as exc:
        logger.warning("metrics_scrape_hook_failed hook=%s error=%r", name, exc)


async def run_scrape_hooks(
    hooks: Mapping[str, ScrapeHook], *, seconds: float = SCRAPE_HOOK_TIMEOUT_SECONDS
) -> None:
    """Run every hook concurrently, each within ``seconds``; failures are logged only."""
    await asyncio.gather(*(_run_hook(name, hook, seconds) for name, hook in hooks.items()))


def route_template(scope: Scope) -> str:
    """The matched route's path template, or :data:`UNMATCHED_ROUTE`."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


class MetricsMiddleware:
    """Counts every HTTP request and times it (pure ASGI, streaming-safe)."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            self.metrics.observe(
                method=str(scope.get("method", "")),
                route=route_template(scope),
                status=status,
                seconds=time.perf_counter() - start,
            )


def metrics_router() -> APIRouter:
    """``GET /metrics``: the app's registry in the Prometheus text format."""
    router = APIRouter(tags=["operations"])

    @router.get(
        METRICS_PATH,
        operation_id="metrics",
        summary="Prometheus metrics in the text exposition format.",
        response_class=Response,
        responses={
            200: {
                "description": "Metrics.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    async def metrics(request: Request) -> Response:
        http_metrics: HttpMetrics = request.app.state.metrics
        await run_scrape_hooks(http_metrics.scrape_hooks)
        body = generate_latest(http_metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
