"""The gateway's app factory (``backbone serve gateway`` runs it).

:class:`GatewayApp` is a FastAPI app whose ``__call__`` hands routed paths straight to
the :class:`~backbone.gateway.proxy.Proxy` and everything else (``/healthz``,
``/readyz``, ``/metrics``, ``/users/{id}/summary``, docs, unknown paths) to FastAPI.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from backbone import __version__
from backbone.core.app import create_service_app
from backbone.core.health import add_readiness_check, add_readiness_report
from backbone.core.logging import configure_logging
from backbone.core.ratelimit import RateLimiter
from backbone.core.redis import check_redis, create_redis
from backbone.gateway.config import GatewaySettings, get_settings
from backbone.gateway.metrics import GatewayMetrics
from backbone.gateway.openapi import problem_schema, routed_paths
from backbone.gateway.proxy import Proxy
from backbone.gateway.routing import RouteTable
from backbone.gateway.summary import router as summary_router
from backbone.gateway.upstream import BalancingTransport, ProxyClient, route_origin
from backbone.resilience import (
    CircuitBreakerConfig,
    ResilientClient,
    RetryBudget,
    RetryEvent,
    RetryPolicy,
)

__all__ = ["GatewayApp", "create_app"]

DESCRIPTION = (
    "A reverse proxy in front of the User Service and the Order Service, and an "
    "aggregation endpoint of its own. See contracts/openapi/gateway.yaml."
)
TAGS = [{"name": "proxy"}, {"name": "aggregation"}, {"name": "operations"}]
RATE_LIMIT_PREFIX = "backbone:gateway:ratelimit:"
"""The gateway's buckets in Redis (unchanged since the limiter moved to core)."""

# /users/{user_id}/summary is the gateway's own, whatever the method: never forwarded.
_OWN_PATH = re.compile(rb"^/users/[^/]+/summary$")


class GatewayApp(FastAPI):
    """FastAPI for the gateway's own endpoints; the proxy for the routed paths."""

    proxy: Proxy
    table: RouteTable

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
            raw_path = raw_path.partition(b"?")[0]  # some test clients leave the query on
            route = self.table.match(raw_path)
            if route is not None and not _OWN_PATH.match(raw_path):
                scope["raw_path"] = raw_path
                await self.proxy(scope, receive, send, route)
                return
        await super().__call__(scope, receive, send)


def _clients(
    settings: GatewaySettings, table: RouteTable, metrics: GatewayMetrics
) -> tuple[BalancingTransport, dict[str, ResilientClient]]:
    """One transport (one connection pool) for all routes; a ResilientClient per route."""
    transport = BalancingTransport({route.label: route for route in table.routes})
    clients: dict[str, ResilientClient] = {}
    for route in table.routes:
        config, label = route.config, route.label
        clients[label] = ResilientClient(
            client=ProxyClient(
                transport=transport,
                timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
            ),
            # Connection failures and timeouts only: an upstream's 5xx is its answer, and
            # it is passed on (as nginx's default proxy_next_upstream does).
            policy=RetryPolicy(
                max_retries=config.retries,
                initial_delay=config.retry_initial_delay,
                max_delay=1.0,
                statuses=frozenset(),
            ),
            breaker=CircuitBreakerConfig(
                failure_threshold=config.breaker_threshold, reset_timeout=config.breaker_reset
            ),
            budget=RetryBudget(
                ratio=settings.retry_budget_ratio,
                min_per_second=settings.retry_budget_min_per_second,
            ),
            on_retry=functools.partial(_count_retry, metrics, label),
        )
    return transport, clients


def _count_retry(metrics: GatewayMetrics, label: str, _event: RetryEvent) -> None:
    metrics.retry(label)


def create_app(settings: GatewaySettings | None = None) -> GatewayApp:
    """A gateway for the configured routes (settings from the environment by default)."""
    settings = settings or get_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format, file=settings.log_file)
    table = RouteTable(settings.routes)
    redis = None
    if settings.rate_limit_enabled and settings.redis_url:
        # Short timeouts: a stalled Redis must not stall every request (it fails open).
        redis = create_redis(settings.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await app.state.transport.aclose()
            if redis is not None:
                await redis.aclose()

    app = create_service_app(
        title="backbone API gateway",
        version=__version__,
        settings=settings,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        app_class=GatewayApp,
    )
    assert isinstance(app, GatewayApp)  # noqa: S101 - app_class above
    metrics = GatewayMetrics(app.state.metrics.registry)
    transport, clients = _clients(settings, table, metrics)
    app.state.transport = transport
    limiter = None
    if redis is not None:
        limiter = RateLimiter(
            redis,
            rate=settings.rate_limit_rate,
            burst=settings.rate_limit_burst,
            prefix=RATE_LIMIT_PREFIX,
        )
        add_readiness_check(app, "redis", lambda: check_redis(redis))
    app.table = table
    app.proxy = Proxy(settings=settings, clients=clients, metrics=metrics, limiter=limiter)
    app.state.clients = clients
    _report_circuits(app, clients, metrics)
    if {"users", "orders"} <= clients.keys():
        app.include_router(summary_router)
    _document_routes(app, settings)
    return app


def _report_circuits(
    app: FastAPI, clients: dict[str, ResilientClient], metrics: GatewayMetrics
) -> None:
    """Each route's breaker state on ``/readyz`` (informational) and ``/metrics``."""

    def state_of(label: str) -> str:
        state = clients[label].circuit_state(route_origin(label))
        return (state or "closed").replace("_", "-")

    metrics.watch_circuits(clients, state_of)
    for label in clients:
        add_readiness_report(app, f"upstream:{label}", functools.partial(state_of, label))


def _document_routes(app: FastAPI, settings: GatewaySettings) -> None:
    """Add the routed paths (served by the proxy, unknown to FastAPI) to the OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            document["paths"] = {**routed_paths(settings.routes), **document["paths"]}
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.setdefault("Problem", problem_schema())
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
