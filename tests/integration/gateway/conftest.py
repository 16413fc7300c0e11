"""A live gateway on loopback in front of real upstreams (and misbehaving ones).

The ``stack`` fixture runs, under uvicorn with the settings ``backbone serve`` uses:
the User and Order mocks, two echo upstreams, a peer that accepts and hangs, a peer
that answers garbage, and the gateway routing to all of them:

| prefix | upstream |
|---|---|
| ``/users``, ``/orders`` | the mocks |
| ``/echo`` | two echo instances, round-robin |
| ``/dead`` | a closed port |
| ``/hung`` | accepts, never answers (timeout 0.5 s) |
| ``/garbage`` | answers bytes that are not HTTP |
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from backbone.gateway import create_app
from backbone.gateway.config import GatewaySettings, RouteConfig
from backbone.mocks.orders import create_app as create_orders
from backbone.mocks.users import create_app as create_users

from ._servers import EchoApp, RawPeer, closed_port_url, serve

GATEWAY_OPTIONS: dict[str, Any] = {
    "proxy_headers": False,
    "server_header": False,
    "date_header": False,
}

FAST = {"retries": 1, "retry_initial_delay": 0.0, "connect_timeout": 1.0}


@dataclass
class Stack:
    """The running servers and what they saw."""

    gateway: str
    users: str
    orders: str
    echo: tuple[EchoApp, EchoApp]
    echo_urls: list[str]
    hung: RawPeer
    settings: GatewaySettings
    app: Any

    @property
    def echo_requests(self) -> list[dict[str, Any]]:
        """Every request either echo instance received, in order per instance."""
        return self.echo[0].requests + self.echo[1].requests


def gateway_settings(**overrides: Any) -> dict[str, Any]:
    """Core limits small enough to test quickly."""
    return {"header_timeout": 1.0, "client_body_timeout": 1.0, **overrides}


@contextlib.asynccontextmanager
async def run_stack(
    *, route_options: dict[str, dict[str, Any]] | None = None, **overrides: Any
) -> AsyncIterator[Stack]:
    """Start everything; ``route_options`` change routes by prefix, ``overrides`` settings.

    ``/mixed`` balances over a closed port (first) and the first echo instance.
    """
    echo = (EchoApp(), EchoApp())
    async with contextlib.AsyncExitStack() as stack:
        users = await stack.enter_async_context(serve(create_users()))
        orders = await stack.enter_async_context(serve(create_orders()))
        echo_urls = [await stack.enter_async_context(serve(app)) for app in echo]
        hung = await stack.enter_async_context(RawPeer())
        garbage = await stack.enter_async_context(RawPeer(reply=b"NOT HTTP AT ALL\r\n\r\n"))
        routes = [
            RouteConfig(prefix="/users", upstreams=[users], **FAST),
            RouteConfig(prefix="/orders", upstreams=[orders], **FAST),
            RouteConfig(prefix="/echo", upstreams=echo_urls, **FAST),
            RouteConfig(prefix="/dead", upstreams=[closed_port_url()], **FAST),
            RouteConfig(prefix="/hung", upstreams=[hung.url], timeout=0.5, retries=0),
            RouteConfig(prefix="/garbage", upstreams=[garbage.url], retries=0),
            RouteConfig(prefix="/mixed", upstreams=[closed_port_url(), echo_urls[0]], **FAST),
        ]
        for prefix, options in (route_options or {}).items():
            index = next(i for i, route in enumerate(routes) if route.prefix == prefix)
            routes[index] = routes[index].model_copy(update=options)
        settings = GatewaySettings(routes=routes, **gateway_settings(**overrides))
        app = create_app(settings)
        gateway = await stack.enter_async_context(serve(app, settings=settings, **GATEWAY_OPTIONS))
        yield Stack(gateway, users, orders, echo, echo_urls, hung, settings, app)


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    """The default stack (no rate limit)."""
    async with run_stack() as running:
        yield running
