"""Fixtures of the integration tests: live services on loopback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from backbone.gateway import create_app as create_gateway
from backbone.gateway.config import GatewaySettings
from backbone.mocks.orders import create_app as create_orders
from backbone.mocks.users import create_app as create_users
from backbone.reports import create_app as create_reports
from backbone.reports.config import ReportsSettings
from tests import _services
from tests.integration._live import live_servers
from tests.integration.gateway.conftest import GATEWAY_OPTIONS
from tests.integration.reports._harness import migrate_reports


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
