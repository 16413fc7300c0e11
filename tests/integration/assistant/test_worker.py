"""The assistant's tasks run by real worker processes (``python -m backbone.cli worker
assistant``) against the API in-process: the offline engine, the orders through the
gateway with the request id, and a worker SIGKILLed mid-task."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from backbone.assistant import create_app
from backbone.assistant.config import AssistantSettings
from tests import _services
from tests._fake_openai import text_reply, tool_call_reply
from tests.integration.assistant._tasks import SALES_CSV, submit, upload
from tests.integration.assistant._workers import (
    FakeGateway,
    ScriptedOpenAI,
    Stack,
    assistant_stack,
    model_env,
    order,
    wait_task,
)
from tests.integration.assistant.conftest import Accounts, bearer, serving
from tests.integration.reports._harness import WorkerProcess

pytestmark = pytest.mark.integration

ORDERS = [order(order_id) for order_id in range(1, 151)]
LOCAL_ENGINE = "local (deterministic tool runner, not a language model)"
# Short enough that a killed worker's task is delivered again within seconds (the
# visibility timeout); the soft time limit leaves the second, fast run plenty of room.
REDELIVERY_LIMITS = {
    "BACKBONE_ASSISTANT_SOFT_TIME_LIMIT": "8",
    "BACKBONE_ASSISTANT_TIME_LIMIT": "9",
    "BACKBONE_ASSISTANT_VISIBILITY_TIMEOUT": "10",
}


@pytest.fixture(scope="module")
def gateway() -> Iterator[FakeGateway]:
    """A fake gateway serving :data:`ORDERS` (two pages of the Order Service's)."""
    with FakeGateway(ORDERS) as server:
        yield server


@pytest.fixture(scope="module")
def stack(
    postgres_server_url: str,
    _redis_databases: _services.RedisDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """The module's database, broker and data directory, shared by the API and workers."""
    root = Path(tmp_path_factory.mktemp("assistant-workers"))
    with assistant_stack(
        postgres_server_url=postgres_server_url, redis=_redis_databases, root=root
    ) as shared:
        yield shared


@pytest.fixture(scope="module")
def offline_worker(stack: Stack, gateway: FakeGateway) -> WorkerProcess:
    """A worker with no model configured (the offline engine), reading orders from the fake."""
    return stack.start_worker(BACKBONE_ASSISTANT_GATEWAY_URL=gateway.url)


@pytest.fixture
def settings(stack: Stack) -> AssistantSettings:
    """The API's settings: the module's stores, as the workers have them."""
    return stack.settings()


async def _token(accounts: Accounts) -> str:
    _, tokens = await accounts.new()
    token: str = tokens["access_token"]
    return token


async def test_offline_worker_analyses_an_upload(
    api: httpx.AsyncClient, accounts: Accounts, stack: Stack, offline_worker: WorkerProcess
) -> None:
    """With no model configured a worker completes the analysis: pandas' numbers, a PNG."""
    token = await _token(accounts)
    dataset = (await upload(api, token)).json()
    question = {"dataset_id": dataset["dataset_id"], "question": "any outliers in amount?"}
    accepted = await submit(api, token, question)
    assert accepted.status_code == 202, accepted.text
    task_id = accepted.json()["task_id"]
    task = await wait_task(api, token, task_id, stack=stack)
    assert task["status"] == "complete", task
    assert task["engine"] == LOCAL_ENGINE
    assert task["attempts"] == 1
    frame = pd.read_csv(io.StringIO(SALES_CSV))
    data = task["result"]["data"]
    assert data["rows"] == len(frame)
    for column in ("amount", "units"):
        described = frame[column].describe()
        stats = data["columns"][column]
        for name in ("mean", "std", "min", "25%", "50%", "75%", "max"):
            assert stats[name] == pytest.approx(described[name], rel=1e-12), (column, name)
    assert "outlier" in {finding["kind"] for finding in data["findings"]}
    (artifact,) = task["result"]["artifacts"]
    chart = await api.get(artifact["url"], headers=bearer(token))
    assert chart.status_code == 200
    assert chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(chart.content) == artifact["size"]
    output = offline_worker.output()
    assert f"job_complete kind=assistant job_id={task_id}" in output
    assert "crewai_configured_after_import" not in output


async def test_orders_are_read_through_the_gateway_with_the_request_id(
    api: httpx.AsyncClient,
    accounts: Accounts,
    stack: Stack,
    gateway: FakeGateway,
    offline_worker: WorkerProcess,
) -> None:
    """A task submitted with X-Request-ID reads every order page through the gateway with it."""
    token = await _token(accounts)
    gateway.requests.clear()
    accepted = await api.post(
        "/v1/tasks",
        json={"type": "analysis", "input": {"source": "orders"}},
        headers={**bearer(token), "X-Request-ID": "test-rid-123"},
    )
    assert accepted.status_code == 202, accepted.text
    task = await wait_task(api, token, accepted.json()["task_id"], stack=stack)
    assert task["status"] == "complete", task
    assert task["result"]["data"]["rows"] == len(ORDERS)
    totals = task["result"]["data"]["columns"]["total_cents"]
    expected = pd.Series([o["total_cents"] for o in ORDERS]).describe()
    assert totals["mean"] == pytest.approx(expected["mean"], rel=1e-12)
    assert [path for path, _ in gateway.requests] == [
        "/orders?limit=100&offset=0",
        "/orders?limit=100&offset=100",
    ]
    assert {headers["x-request-id"] for _, headers in gateway.requests} == {"test-rid-123"}
    assert "test-rid-123" in offline_worker.output()


async def test_a_worker_killed_mid_task_is_replaced_and_the_task_completes(
    stack: Stack,
) -> None:
    """SIGKILL the worker running a task: the other worker gets it again and completes it."""
    calls = [
        tool_call_reply(name, {}, call_id=f"call_{i}")
        for i, name in enumerate(("column_stats", "outliers", "correlations"))
    ]
    replies = [*calls, text_reply("The amounts have one outlier.")]
    # The first run is slow (killed mid-way, after its first step); the second is not.
    slow = [dataclasses.replace(r, delay=0.5 if i == 0 else 1.0) for i, r in enumerate(replies)]
    # A queue of their own: the module's offline worker must not take the task.
    settings = stack.settings(queue="assistant-kill")
    env = {**REDELIVERY_LIMITS, "BACKBONE_ASSISTANT_QUEUE": settings.queue}
    with ScriptedOpenAI(slow) as model:
        pair = [stack.start_worker(wait=False, **model_env(model), **env) for _ in range(2)]
        for worker in pair:
            worker.wait_ready(timeout=60)
        async with serving(create_app(settings)) as api:
            token = await _token(Accounts(api))
            dataset = (await upload(api, token)).json()
            accepted = await submit(api, token, {"dataset_id": dataset["dataset_id"]})
            task_id = accepted.json()["task_id"]
            await wait_task(api, token, task_id, stack=stack, until={"min_steps": 1})
            started = f"job_started kind=assistant job_id={task_id} attempt="
            (running,) = [w for w in pair if f"{started}1" in w.output()]
            (other,) = [w for w in pair if w is not running]
            running.kill()  # then the new script: the dead worker takes none of it
            model.script(replies)
            killed = (await api.get(f"/v1/tasks/{task_id}", headers=bearer(token))).json()
            assert (killed["status"], killed["attempts"]) == ("in-progress", 1)
            task = await wait_task(api, token, task_id, stack=stack, seconds=90)
    assert task["status"] == "complete", task
    assert task["attempts"] == 2
    assert [step["tool"] for step in task["steps"]] == ["column_stats", "outliers", "correlations"]
    assert {step["attempt"] for step in task["steps"]} == {2}
    assert task["result"]["text"] == "The amounts have one outlier."
    assert f"{started}2" in other.output()
    assert f"job_complete kind=assistant job_id={task_id}" not in running.output()
