"""Fixtures of the assistant's integration tests: a migrated database and a Redis db of the
test's own, the app in-process with its lifespan, and helpers to make accounts and tokens."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from backbone.assistant import create_app
from backbone.assistant.config import AssistantSettings
from backbone.assistant.migrations import VERSIONS
from backbone.core import PROBLEM_MEDIA_TYPE
from backbone.core.db import migrate
from tests.integration.gateway._servers import closed_port_url

SECRET = "integration-test-secret-" + "k" * 24
PASSWORD = "correct horse battery"
CLIENT = ("203.0.113.1", 50000)

# Every limit high, unless a test lowers one; Argon2 cheap (the parameters are not the test).
# No gateway unless a test gives one: the recommendations' refresher then fails quietly
# instead of reading whatever listens on the default port.
FAST = {
    "gateway_url": closed_port_url(),
    "jwt_secret": SECRET,
    "environment": "test",
    "password_time_cost": 1,
    "password_memory_kib": 1024,
    "password_parallelism": 1,
    "login_account_burst": 1000,
    "login_client_burst": 1000,
    "register_client_burst": 1000,
    "task_submit_burst": 1000,
}


def assistant_settings(**overrides: Any) -> AssistantSettings:
    """Settings that ignore the environment's .env, fast, with ``overrides``."""
    return AssistantSettings(_env_file=None, queue="assistant-test", **{**FAST, **overrides})  # type: ignore[call-arg]


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert ``response`` is a problem+json of ``status``; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def assert_unauthorized(response: httpx.Response, *, token_sent: bool = True) -> None:
    """A 401 problem with the Bearer challenge (``invalid_token`` when a token was sent)."""
    assert_problem(response, 401)
    expected = 'Bearer error="invalid_token"' if token_sent else "Bearer"
    assert response.headers["www-authenticate"] == expected


def bearer(token: str) -> dict[str, str]:
    """The Authorization header carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def serving(
    app: FastAPI, client: tuple[str, int] = CLIENT
) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of ``app`` (from the address ``client``), its lifespan run around it."""
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://assistant") as c:
            yield c


@pytest.fixture
def migrated_database(database_url: str) -> str:
    """The test's own database, migrated to the newest revision."""
    migrate(database_url, locations=[VERSIONS])
    return database_url


@pytest.fixture
def make_settings(
    migrated_database: str, redis_url: str, tmp_path: Path
) -> Callable[..., AssistantSettings]:
    """Settings for the test's database and Redis db, with overrides."""

    def make(**overrides: Any) -> AssistantSettings:
        values = {"database_url": migrated_database, "redis_url": redis_url}
        return assistant_settings(**{**values, "data_dir": tmp_path / "data", **overrides})

    return make


@pytest.fixture
def settings(make_settings: Callable[..., AssistantSettings]) -> AssistantSettings:
    """The test's settings (limits high)."""
    return make_settings()


@pytest.fixture
async def app(settings: AssistantSettings) -> AsyncIterator[FastAPI]:
    """The assistant app with its lifespan running."""
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app, from the address :data:`CLIENT`."""
    transport = httpx.ASGITransport(app=app, client=CLIENT)
    async with httpx.AsyncClient(transport=transport, base_url="http://assistant") as client:
        yield client


class Accounts:
    """Registers and logs in accounts through the API."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api

    async def register(self, email: str | None = None, password: str = PASSWORD) -> dict[str, Any]:
        """A new account (a fresh email unless given); its body."""
        email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
        response = await self.api.post(
            "/v1/auth/register", json={"email": email, "password": password}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        """The token pair of a successful login."""
        response = await self.api.post(
            "/v1/auth/token", data={"username": email, "password": password}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def new(self, email: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """A registered and logged-in account: (user, tokens)."""
        user = await self.register(email)
        return user, await self.login(user["email"])


@pytest.fixture
def accounts(api: httpx.AsyncClient) -> Accounts:
    """Account helpers on the test's client."""
    return Accounts(api)


async def sql(database_url: str, method: str, query: str, *args: Any) -> Any:
    """Run one statement on the test's database, outside the app."""
    connection = await asyncpg.connect(database_url)
    try:
        return await getattr(connection, method)(query, *args)
    finally:
        await connection.close()


@pytest.fixture
def closed_redis_url() -> str:
    """A Redis URL nothing listens at."""
    return closed_port_url().replace("http://", "redis://") + "/0"


@pytest.fixture
def closed_database_url() -> str:
    """A PostgreSQL URL nothing listens at."""
    return closed_port_url().replace("http://", "postgresql://postgres@") + "/none"
