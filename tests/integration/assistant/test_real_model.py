"""The real-model path through a real worker: ``BACKBONE_LLM_BASE_URL`` points the worker
at a fake OpenAI-compatible server on loopback, whose script each test sets. What the
model is sent, a tool turn, bounded retries, live events, cancelling mid-task; and
``/readyz`` when the model server is down."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from backbone.assistant import create_app
from backbone.assistant.config import AssistantSettings
from tests import _services
from tests._fake_openai import Reply, text_reply, tool_call_reply
from tests.integration.assistant._tasks import SALES_CSV, parse_events, submit, upload
from tests.integration.assistant._workers import (
    KEY,
    ScriptedOpenAI,
    Stack,
    assistant_stack,
    model_env,
    wait_task,
)
from tests.integration.assistant.conftest import Accounts, assert_problem, bearer, serving
from tests.integration.gateway._servers import closed_port_url, serve
from tests.integration.reports._harness import WorkerProcess

pytestmark = pytest.mark.integration

MAX_RETRIES = 2
FINAL = "Amount averages 152.25 with one outlier on the 17th."
QUESTION = "Which day is unusual?"
SLOW = 0.5
"""Seconds the fake model takes to answer each turn: a run takes seconds, honestly."""


ARGS: dict[str, dict[str, Any]] = {"trend": {"date": "date", "value": "amount"}}


def _slow_tools(*tools: str, final: str = FINAL) -> list[Reply]:
    """A tool turn for each of ``tools``, then ``final``: each answer :data:`SLOW`."""
    turns = [tool_call_reply(t, ARGS.get(t, {}), call_id=f"call_{i}") for i, t in enumerate(tools)]
    return [dataclasses.replace(r, delay=SLOW) for r in [*turns, text_reply(final)]]


@pytest.fixture(scope="module")
def model() -> Iterator[ScriptedOpenAI]:
    """The fake model server of the module's worker."""
    with ScriptedOpenAI([text_reply("unscripted")]) as server:
        yield server


@pytest.fixture(scope="module")
def stack(
    postgres_server_url: str,
    _redis_databases: _services.RedisDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """The module's database, broker and data directory, shared by the API and the worker."""
    root = Path(tmp_path_factory.mktemp("assistant-model"))
    with assistant_stack(
        postgres_server_url=postgres_server_url, redis=_redis_databases, root=root
    ) as shared:
        yield shared


@pytest.fixture(scope="module")
def worker(stack: Stack, model: ScriptedOpenAI) -> WorkerProcess:
    """A worker whose model is ``openai/fake-model`` at the fake server."""
    return stack.start_worker(**model_env(model, BACKBONE_LLM_MAX_RETRIES=str(MAX_RETRIES)))


@pytest.fixture
def settings(stack: Stack) -> AssistantSettings:
    """The API's settings: the module's stores, as the worker has them."""
    return stack.settings()


def _fenced(text: str, name: str) -> str:
    """The body of the data block ``name`` in ``text`` (it must be there, once)."""
    blocks = re.findall(
        rf"<<<BEGIN DATA {name} (\w+)>>>\n(.*?)\n<<<END DATA {name} \1>>>", text, re.S
    )
    assert len(blocks) == 1, text
    body: str = blocks[0][1]
    return body


async def _dataset(api: httpx.AsyncClient, accounts: Accounts) -> tuple[str, str]:
    """A new account's token and the id of its upload of the sales CSV."""
    _, tokens = await accounts.new()
    token: str = tokens["access_token"]
    response = await upload(api, token)
    assert response.status_code == 201, response.text
    return token, response.json()["dataset_id"]


async def _submit(api: httpx.AsyncClient, token: str, dataset_id: str) -> str:
    accepted = await submit(api, token, {"dataset_id": dataset_id, "question": QUESTION})
    assert accepted.status_code == 202, accepted.text
    task_id: str = accepted.json()["task_id"]
    return task_id


async def test_the_task_runs_through_the_model(
    api: httpx.AsyncClient,
    accounts: Accounts,
    stack: Stack,
    model: ScriptedOpenAI,
    worker: WorkerProcess,
) -> None:
    """The model asks for column_stats, then answers: its text, pandas' numbers, one step."""
    model.script([tool_call_reply("column_stats", {"columns": ["amount"]}), text_reply(FINAL)])
    token, dataset_id = await _dataset(api, accounts)
    task = await wait_task(api, token, await _submit(api, token, dataset_id), stack=stack)
    assert task["status"] == "complete", task
    assert task["engine"] == "openai/fake-model"
    assert task["result"]["text"] == FINAL
    (step,) = task["steps"]
    assert (step["tool"], step["input"]) == ("column_stats", {"columns": ["amount"], "top": 5})
    assert json.loads(step["output"])["columns"]["amount"]["count"] == 28
    described = pd.read_csv(io.StringIO(SALES_CSV))["amount"].describe()
    amount = task["result"]["data"]["columns"]["amount"]
    for name in ("mean", "std", "min", "max"):
        assert amount[name] == pytest.approx(described[name], rel=1e-12)
    first, second = model.completions
    assert first.headers["authorization"] == f"Bearer {KEY}"
    assert first.body["model"] == "fake-model"
    user = "\n".join(m["content"] for m in first.body["messages"] if m["role"] == "user")
    assert _fenced(user, "dataset_name") == "sales.csv"
    assert _fenced(user, "question") == QUESTION
    assert user.count(QUESTION) == 1
    assert "column_stats" in {tool["function"]["name"] for tool in first.body["tools"]}
    assert any(m["role"] == "tool" for m in second.body["messages"])


async def test_a_model_that_keeps_failing_fails_the_task_without_the_key(
    api: httpx.AsyncClient,
    accounts: Accounts,
    stack: Stack,
    model: ScriptedOpenAI,
    worker: WorkerProcess,
) -> None:
    """500 on every request: bounded attempts, then failed with a reason that hides the key."""
    model.script([Reply(status=500, body={"error": {"message": f"exploded with {KEY}"}})])
    token, dataset_id = await _dataset(api, accounts)
    task_id = await _submit(api, token, dataset_id)
    task = await wait_task(api, token, task_id, stack=stack)
    assert task["status"] == "failed", task
    assert "openai/fake-model" in task["error"]
    assert "did not answer usefully" in task["error"]
    assert "500" in task["error"]
    assert KEY not in task["error"]
    assert task["result"] is None
    assert len(model.completions) == MAX_RETRIES + 1
    assert f"job_failed kind=assistant job_id={task_id}" in worker.output()


async def test_readyz_names_the_model_when_its_server_is_down(
    settings: AssistantSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With BACKBONE_LLM_BASE_URL at a closed port, /readyz is 503 and names ``llm``."""
    monkeypatch.setenv("BACKBONE_LLM_MODEL", "openai/fake-model")
    monkeypatch.setenv("BACKBONE_LLM_BASE_URL", closed_port_url() + "/v1")
    monkeypatch.setenv("BACKBONE_LLM_API_KEY", KEY)
    async with serving(create_app(settings)) as api:
        body = assert_problem(await api.get("/readyz"), 503)
    assert body["checks"]["llm"].startswith("failed")
    assert "llm failed" in body["detail"]
    assert {name for name, result in body["checks"].items() if result != "ok"} == {"llm"}
    assert KEY not in json.dumps(body)


async def _read_events(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], seen: list[tuple[str, str]]
) -> list[Any]:
    """Read the stream as it comes; for each event, the task's status when it arrived."""
    events: list[Any] = []
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        buffer = ""
        async for chunk in response.aiter_text():
            buffer += chunk
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                for event in parse_events(block + "\n\n"):
                    task = (await client.get(url.removesuffix("/events"), headers=headers)).json()
                    seen.append((event.event, task["status"]))
                    events.append(event)
    return events


async def test_events_stream_the_steps_as_they_are_committed(
    settings: AssistantSettings, stack: Stack, model: ScriptedOpenAI, worker: WorkerProcess
) -> None:
    """Served live: steps arrive while the task runs, then ``end``; Last-Event-ID resumes."""
    model.script(_slow_tools("column_stats", "outliers", "trend"))
    app = create_app(settings)
    async with (
        serve(app, settings=settings) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        token, dataset_id = await _dataset(client, Accounts(client))
        task_id = await _submit(client, token, dataset_id)
        seen: list[tuple[str, str]] = []
        events_url = f"/v1/tasks/{task_id}/events"
        events = await _read_events(client, events_url, bearer(token), seen)
        resumed = await client.get(
            events_url, headers={**bearer(token), "Last-Event-ID": events[0].id or ""}
        )
    steps = [event for event in events if event.event == "step"]
    assert [event.json()["tool"] for event in steps] == ["column_stats", "outliers", "trend"]
    assert seen[0] == ("step", "in-progress")
    assert events[-1].event == "end"
    assert events[-1].json()["status"] == "complete"
    assert events[-1].json()["result"]["text"] == FINAL
    again = [e.json()["tool"] for e in parse_events(resumed.text) if e.event == "step"]
    assert again == ["outliers", "trend"]
    assert parse_events(resumed.text)[-1].event == "end"


async def test_cancel_mid_task_stops_the_worker_at_its_next_step(
    api: httpx.AsyncClient,
    accounts: Accounts,
    stack: Stack,
    model: ScriptedOpenAI,
    worker: WorkerProcess,
) -> None:
    """DELETE while the model works: cancelled, no step after it, no chart."""
    model.script(_slow_tools("column_stats", "outliers", "trend", "correlations"))
    token, dataset_id = await _dataset(api, accounts)
    task_id = await _submit(api, token, dataset_id)
    await wait_task(api, token, task_id, stack=stack, until={"min_steps": 1})
    cancelled = await api.delete(f"/v1/tasks/{task_id}", headers=bearer(token))
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    at_cancel = [step["index"] for step in cancelled.json()["steps"]]
    worker.wait_log(f"job_cancelled_while_running kind=assistant job_id={task_id}")
    task = (await api.get(f"/v1/tasks/{task_id}", headers=bearer(token))).json()
    assert task["status"] == "cancelled"
    assert [step["index"] for step in task["steps"]] == at_cancel
    assert task["result"] is None
    # The model turn under way at the cancel asked for one more tool; nothing after it.
    assert len(model.completions) == len(at_cancel) + 1
    assert not (stack.data_dir / "artifacts" / task_id).exists()
