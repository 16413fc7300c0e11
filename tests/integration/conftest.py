"""Fixtures of the integration tests: live services on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from backbone.assistant import create_app as create_assistant
from backbone.assistant.config import AssistantSettings
from backbone.assistant.migrations import VERSIONS as ASSISTANT_VERSIONS
from backbone.community import create_app as create_community
from backbone.community.migrations import VERSIONS as COMMUNITY_VERSIONS
from backbone.core.db import migrate
from backbone.gateway import create_app as create_gateway
from backbone.gateway.config import GatewaySettings
from backbone.mocks.orders import create_app as create_orders
from backbone.mocks.users import create_app as create_users
from backbone.reports import create_app as create_reports
from backbone.reports.config import ReportsSettings
from backbone.review import create_app as create_review
from backbone.review.migrations import VERSIONS as REVIEW_VERSIONS
from tests import _services
from tests.integration._live import live_servers
from tests.integration.assistant.conftest import PASSWORD, assistant_settings
from tests.integration.gateway._servers import closed_port_url
from tests.integration.gateway.conftest import GATEWAY_OPTIONS
from tests.integration.reports._harness import WorkerProcess, migrate_reports


@pytest.fixture(scope="session")
def live_gateway() -> Iterator[str]:
    """The gateway's URL, live on loopback in front of live User and Order services."""
    with live_servers() as servers:
        users = servers.start(create_users())
        orders = servers.start(create_orders())
        settings = GatewaySettings(users_url=users, orders_url=orders)
        yield servers.start(create_gateway(settings), settings=settings, **GATEWAY_OPTIONS)


@pytest.fixture(scope="session")
def live_reports(
    postgres_server_url: str,
    _redis_databases: _services.RedisDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The report API's URL, live on loopback with a migrated database and a Redis db of
    its own as broker (no worker: jobs stay pending)."""
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(_services.fresh_database(postgres_server_url))
        migrate_reports(database_url)
        settings = ReportsSettings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=database_url,
            redis_url=stack.enter_context(_redis_databases.acquire()),
            reports_dir=tmp_path_factory.mktemp("reports"),
            queue="contract-reports",
        )
        servers = stack.enter_context(live_servers())
        yield servers.start(create_reports(settings), settings=settings)


@pytest.fixture(scope="session")
def live_review(
    postgres_server_url: str, _redis_databases: _services.RedisDatabases
) -> Iterator[str]:
    """The review API's URL, live on loopback with a migrated database and a Redis db of
    its own as broker (no worker: reviews stay pending)."""
    from tests.integration.review.conftest import review_settings

    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(_services.fresh_database(postgres_server_url))
        migrate(database_url, locations=[REVIEW_VERSIONS])
        settings = review_settings(
            database_url=database_url,
            redis_url=stack.enter_context(_redis_databases.acquire()),
            queue="contract-review",
        )
        servers = stack.enter_context(live_servers())
        yield servers.start(create_review(settings), settings=settings)


@pytest.fixture(scope="session")
def review_tokens() -> Callable[[str, str], str]:
    """The review API's one token, for every request."""
    from tests.integration.review.conftest import TOKEN

    return lambda _method, _path: TOKEN


@pytest.fixture(scope="session")
def live_community(postgres_server_url: str) -> Iterator[str]:
    """The CRM API's URL, live on loopback with a migrated database holding members
    (hot leads with lead events among them, names a spreadsheet would run as formulas)."""
    from tests.integration.community._api import community_settings, seed, seed_leads

    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(_services.fresh_database(postgres_server_url))
        migrate(database_url, locations=[COMMUNITY_VERSIONS])
        asyncio.run(seed(database_url, ["Ada", "=cmd|' /C calc'!A0", 'Smith, "Jo"', "Bo"]))
        asyncio.run(seed_leads(database_url, user=1001, messages=[1, 2, 3]))
        settings = community_settings(database_url=database_url)
        servers = stack.enter_context(live_servers())
        yield servers.start(create_community(settings), settings=settings)


@pytest.fixture(scope="session")
def community_tokens() -> Callable[[str, str], str]:
    """The CRM API's one token, for every request."""
    from tests.integration.community._api import TOKEN

    return lambda _method, _path: TOKEN


ASSISTANT_ADMIN = "contract-admin@example.com"


@pytest.fixture(scope="session")
def live_assistant(
    postgres_server_url: str,
    _redis_databases: _services.RedisDatabases,
    tmp_path_factory: pytest.TempPathFactory,
    live_gateway: str,
) -> Iterator[str]:
    """The assistant API's URL, live on loopback with a migrated database, a Redis db of
    its own and a worker (``backbone worker assistant``) that runs the tasks: limits high,
    :data:`ASSISTANT_ADMIN` registers as an admin, orders and users read through the live
    gateway (the recommendation model is built from them), the report processor is
    unreachable."""
    root = tmp_path_factory.mktemp("assistant")
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(_services.fresh_database(postgres_server_url))
        migrate(database_url, locations=[ASSISTANT_VERSIONS])
        settings = assistant_settings(
            database_url=database_url,
            redis_url=stack.enter_context(_redis_databases.acquire()),
            data_dir=root / "data",
            gateway_url=live_gateway,
            reports_url=closed_port_url(),
            admin_emails=[ASSISTANT_ADMIN],
        )
        worker = WorkerProcess(
            env=_assistant_worker_env(settings),
            cwd=root,
            log=root / "worker.log",
            argv=[
                sys.executable,
                "-m",
                "backbone.cli",
                "worker",
                "assistant",
                "--concurrency=1",
                f"--hostname=contract-{uuid.uuid4().hex[:8]}@%h",
            ],
            kind="assistant",
        )
        stack.callback(worker.reap, 10)
        stack.callback(worker.terminate)
        worker.wait_ready(timeout=60)
        servers = stack.enter_context(live_servers())
        yield servers.start(create_assistant(settings), settings=settings)


def _assistant_worker_env(settings: AssistantSettings) -> dict[str, str]:
    """The environment of a worker process with ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKBONE_", "LOG_"))}
    env.update(
        DATABASE_URL=settings.database_url.get_secret_value() if settings.database_url else "",
        REDIS_URL=settings.redis_url or "",
        ENVIRONMENT=settings.environment,
        BACKBONE_ASSISTANT_JWT_SECRET=settings.jwt_secret.get_secret_value(),
        BACKBONE_ASSISTANT_QUEUE=settings.queue,
        BACKBONE_ASSISTANT_DATA_DIR=str(settings.data_dir),
        BACKBONE_ASSISTANT_GATEWAY_URL=settings.gateway_url,
        BACKBONE_ASSISTANT_REPORTS_URL=settings.reports_url,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


def _new_account(base_url: str, email: str | None = None) -> str:
    """The access token of an account registered and logged in through the API."""
    email = email or f"contract-{uuid.uuid4().hex[:12]}@example.com"
    with httpx.Client(base_url=base_url) as client:
        registered = client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        assert registered.status_code == 201, registered.text
        login = client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
    token: str = login.json()["access_token"]
    return token


@pytest.fixture(scope="session")
def assistant_tokens(live_assistant: str) -> Callable[[str, str], str]:
    """``token(method, path)``: the access token a request to the live assistant carries —
    one user's for the run, the admin's for ``/v1/users``, and for ``DELETE /v1/me`` (which
    deletes the account) a new account's each time."""
    user = _new_account(live_assistant)
    admin = _new_account(live_assistant, ASSISTANT_ADMIN)

    def token(method: str, path: str) -> str:
        if method == "DELETE" and path == "/v1/me":
            return _new_account(live_assistant)
        return admin if path == "/v1/users" else user

    return token
