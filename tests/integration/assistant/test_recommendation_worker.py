"""The recommendation task run by a real worker process (the offline engine) against the
User and Order services behind a live gateway and the model in Redis: the agent's data is
the API's answer, its text the reasons; an unknown user fails the task clearly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backbone.assistant.config import AssistantSettings
from backbone.gateway import create_app as create_gateway
from backbone.gateway.config import GatewaySettings
from backbone.mocks.orders import create_app as create_orders
from backbone.mocks.users import create_app as create_users
from tests import _services
from tests.integration._live import live_servers
from tests.integration.assistant._workers import Stack, assistant_stack, wait_task
from tests.integration.assistant.conftest import Accounts, bearer
from tests.integration.gateway.conftest import GATEWAY_OPTIONS
from tests.integration.reports._harness import WorkerProcess

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    """A live gateway in front of fresh User and Order services (their seeded data)."""
    with live_servers() as servers:
        users = servers.start(create_users())
        orders = servers.start(create_orders())
        settings = GatewaySettings(users_url=users, orders_url=orders)
        yield servers.start(create_gateway(settings), settings=settings, **GATEWAY_OPTIONS)


@pytest.fixture(scope="module")
def stack(
    postgres_server_url: str,
    _redis_databases: _services.RedisDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """The module's database, broker and data directory, shared by the API and the worker."""
    root = Path(tmp_path_factory.mktemp("assistant-recommender"))
    with assistant_stack(
        postgres_server_url=postgres_server_url, redis=_redis_databases, root=root
    ) as shared:
        yield shared


@pytest.fixture(scope="module")
def worker(stack: Stack, gateway: str) -> WorkerProcess:
    """A worker with the offline engine, reading the gateway."""
    return stack.start_worker(BACKBONE_ASSISTANT_GATEWAY_URL=gateway)


@pytest.fixture
def settings(stack: Stack, gateway: str) -> AssistantSettings:
    """The API's settings: the module's stores and the same gateway."""
    return stack.settings(gateway_url=gateway, recommendations_refresh_seconds=0.5)


async def _submit(api: httpx.AsyncClient, token: str, task_input: dict[str, object]) -> str:
    body = {"type": "recommendation", "input": task_input}
    response = await api.post("/v1/tasks", json=body, headers=bearer(token))
    assert response.status_code == 202, response.text
    task_id: str = response.json()["task_id"]
    return task_id


async def test_the_agent_explains_the_picks_the_api_serves(
    api: httpx.AsyncClient, accounts: Accounts, stack: Stack, worker: WorkerProcess
) -> None:
    """result.data is GET /v1/recommendations' user_id, strategy and items; the text
    gives each pick's reason; the one step is the recommender tool with the limit."""
    _, tokens = await accounts.new()
    token = tokens["access_token"]
    task_id = await _submit(api, token, {"user_id": 123, "limit": 2, "goal": "a gift"})
    task = await wait_task(api, token, task_id, stack=stack)
    assert task["status"] == "complete", task
    served = await api.get(
        "/v1/recommendations", params={"user_id": 123, "limit": 2}, headers=bearer(token)
    )
    assert served.status_code == 200, served.text
    expected = {key: served.json()[key] for key in ("user_id", "strategy", "items")}
    assert task["result"]["data"] == expected
    for item in expected["items"]:
        assert f"{item['sku']}: {item['reason']}" in task["result"]["text"]
    (step,) = task["steps"]
    assert (step["tool"], step["input"]) == ("recommend_items", {"limit": 2})


async def test_an_unknown_user_fails_the_task_with_the_reason(
    api: httpx.AsyncClient, accounts: Accounts, stack: Stack, worker: WorkerProcess
) -> None:
    """A user id the User Service does not know: failed, saying so."""
    _, tokens = await accounts.new()
    token = tokens["access_token"]
    task_id = await _submit(api, token, {"user_id": 987_654})
    task = await wait_task(api, token, task_id, stack=stack)
    assert task["status"] == "failed", task
    assert "no user with id 987654" in task["error"]
