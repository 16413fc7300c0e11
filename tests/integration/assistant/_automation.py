"""The services an automation acts on, live on loopback for a module: the User and Order
mocks behind the real gateway, the real report API (its own database and Redis db; no
worker, so its jobs stay pending), and a trap server that hostile goals point at. Every
request the Order Service, the report API and the trap receive is recorded."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from backbone.assistant.config import AssistantSettings
from backbone.gateway import create_app as create_gateway
from backbone.gateway.config import GatewaySettings
from backbone.jobs import Outcome
from backbone.mocks.orders import create_app as create_orders
from backbone.mocks.users import create_app as create_users
from backbone.reports import create_app as create_reports
from backbone.reports.config import ReportsSettings
from tests import _services
from tests.integration._live import live_servers
from tests.integration.assistant._tasks import run_task, submit
from tests.integration.assistant.conftest import bearer
from tests.integration.gateway.conftest import GATEWAY_OPTIONS
from tests.integration.reports._harness import migrate_reports

__all__ = ["Automation", "Recorded", "Recorder", "World", "automation_world"]


@dataclass(frozen=True)
class Recorded:
    """One request a recorded app received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Recorder:
    """An ASGI app in front of ``app`` that records each HTTP request (lifespan passes)."""

    app: ASGIApp
    requests: list[Recorded] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.requests.append(Recorded(scope["method"], scope["path"], headers))
        await self.app(scope, receive, send)

    def count(self, method: str, path_prefix: str = "") -> int:
        """How many ``method`` requests for paths starting with ``path_prefix`` came."""
        return sum(
            1 for r in self.requests if r.method == method and r.path.startswith(path_prefix)
        )


async def _nothing_here(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"trapped"})


@dataclass
class World:
    """The live services' URLs and their recorders."""

    gateway: str
    reports: str
    trap: str
    orders: Recorder
    report_api: Recorder
    trapped: Recorder

    def new_orders(self, user_id: int, count: int) -> list[int]:
        """``count`` pending orders for ``user_id``, made through the gateway; their ids."""
        ids = []
        with httpx.Client(base_url=self.gateway) as client:
            for _ in range(count):
                item = {"sku": "BOOK-1", "quantity": 1, "unit_price_cents": 1250}
                made = client.post("/orders", json={"user_id": user_id, "items": [item]})
                assert made.status_code == 201, made.text
                ids.append(made.json()["order_id"])
        return ids

    def statuses(self, user_id: int) -> dict[int, str]:
        """The user's orders and their statuses, read through the gateway."""
        with httpx.Client(base_url=self.gateway) as client:
            page = client.get("/orders", params={"user_id": user_id, "limit": 100}).json()
        return {order["order_id"]: order["status"] for order in page["items"]}

    def report(self, job_id: str) -> dict[str, Any]:
        """A report job's status, from the report API."""
        with httpx.Client(base_url=self.reports) as client:
            response = client.get(f"/reports/{job_id}/status")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@contextlib.contextmanager
def automation_world(
    *, postgres_server_url: str, redis: _services.RedisDatabases, root: Path
) -> Iterator[World]:
    """The live services for one module; stopped afterwards."""
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(_services.fresh_database(postgres_server_url))
        migrate_reports(database_url)
        reports_settings = ReportsSettings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=database_url,
            redis_url=stack.enter_context(redis.acquire()),
            reports_dir=root / "reports",
            queue="automation-reports",
        )
        servers = stack.enter_context(live_servers())
        orders = Recorder(create_orders())
        report_api = Recorder(create_reports(reports_settings))
        trapped = Recorder(_nothing_here)
        users_url, orders_url = servers.start(create_users()), servers.start(orders)
        gateway_settings = GatewaySettings(users_url=users_url, orders_url=orders_url)
        yield World(
            gateway=servers.start(
                create_gateway(gateway_settings), settings=gateway_settings, **GATEWAY_OPTIONS
            ),
            reports=servers.start(report_api, settings=reports_settings),
            trap=servers.start(trapped),
            orders=orders,
            report_api=report_api,
            trapped=trapped,
        )


class Automation:
    """One user's automation task, driven through the API and the in-process runner."""

    def __init__(self, api: httpx.AsyncClient, settings: AssistantSettings, token: str) -> None:
        self.api, self.settings, self.token = api, settings, token
        self.task_id = ""

    async def submit(self, task_input: dict[str, Any]) -> None:
        accepted = await submit(self.api, self.token, task_input, task_type="automation")
        assert accepted.status_code == 202, accepted.text
        self.task_id = accepted.json()["task_id"]

    async def deliver(self) -> Outcome:
        return await asyncio.to_thread(run_task, self.settings, self.task_id)

    async def view(self, token: str | None = None) -> dict[str, Any]:
        response = await self.api.get(
            f"/v1/tasks/{self.task_id}", headers=bearer(token or self.token)
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def decide(self, verb: str, body: Any = None, token: str | None = None) -> httpx.Response:
        return await self.api.post(
            f"/v1/tasks/{self.task_id}/{verb}", json=body, headers=bearer(token or self.token)
        )

    async def planned(self, task_input: dict[str, Any]) -> dict[str, Any]:
        """Submitted and planned: the task awaiting approval."""
        await self.submit(task_input)
        assert await self.deliver() is Outcome.AWAITING
        return await self.view()
