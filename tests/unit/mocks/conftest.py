"""Fixtures for the mock services: a fresh app per test (so no test sees another's state),
waits cut to a few milliseconds, a small body limit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backbone.core import PROBLEM_MEDIA_TYPE
from backbone.mocks import orders as orders_service
from backbone.mocks import users as users_service
from backbone.mocks.flaky import create_app
from backbone.mocks.flaky.config import FlakySettings
from backbone.mocks.orders.config import OrdersSettings
from backbone.mocks.users.config import UsersSettings

MAX_HANG = 0.05
MAX_DELAY = 0.01
BODY_LIMIT = 1024
ORDERS_BODY_LIMIT = 8192  # room for an order of 51 lines, to see it refused with a 422


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert ``response`` is a problem+json of ``status``; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


@contextlib.asynccontextmanager
async def _client(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
        yield client


@pytest.fixture
def flaky_settings() -> FlakySettings:
    """Settings with short hangs, a small body limit and a small key budget."""
    return FlakySettings(  # type: ignore[call-arg]
        _env_file=None, max_hang_seconds=MAX_HANG, max_body_bytes=BODY_LIMIT, max_keys=50
    )


@pytest.fixture
def flaky_app(flaky_settings: FlakySettings) -> FastAPI:
    """A fresh flaky service."""
    return create_app(flaky_settings)


@pytest.fixture
async def flaky(flaky_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of the flaky service."""
    async with _client(flaky_app, "flaky") as client:
        yield client


@pytest.fixture
def users_settings() -> UsersSettings:
    """Settings with a short slow endpoint, no export pauses and a small body limit."""
    return UsersSettings(  # type: ignore[call-arg]
        _env_file=None,
        max_delay_seconds=MAX_DELAY,
        max_export_pause_seconds=0,
        max_body_bytes=BODY_LIMIT,
    )


@pytest.fixture
def users_app(users_settings: UsersSettings) -> FastAPI:
    """A fresh User Service with its seeded users."""
    return users_service.create_app(users_settings)


@pytest.fixture
async def users(users_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of the User Service."""
    async with _client(users_app, "users") as client:
        yield client


@pytest.fixture
def orders_app() -> FastAPI:
    """A fresh Order Service with its seeded orders and a small body limit."""
    settings = OrdersSettings(  # type: ignore[call-arg]
        _env_file=None, max_body_bytes=ORDERS_BODY_LIMIT
    )
    return orders_service.create_app(settings)


@pytest.fixture
async def orders(orders_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of the Order Service."""
    async with _client(orders_app, "orders") as client:
        yield client


async def run_asgi(
    app: FastAPI, path: str, *, query: bytes = b"", disconnect: bool = False
) -> list[dict[str, Any]]:
    """Serve one GET over raw ASGI and return what the app sent.

    With ``disconnect`` the client goes away right after its request; otherwise it stays
    until the response is complete (a further ``receive`` waits until cancelled).
    """
    incoming: list[dict[str, Any]] = [{"type": "http.request", "body": b"", "more_body": False}]
    if disconnect:
        incoming.append({"type": "http.disconnect"})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        return await asyncio.get_running_loop().create_future()  # type: ignore[no-any-return]

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"mock")],
        "client": ("127.0.0.1", 1),
        "server": ("mock", 80),
    }
    async with asyncio.timeout(5):
        await app(scope, receive, send)
    return sent
