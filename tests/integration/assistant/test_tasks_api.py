"""``/v1/tasks`` against PostgreSQL and Redis with no worker: what the API records and
answers on submission (and what it refuses, recording nothing), reads, lists, cancels."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from backbone.assistant import create_app
from backbone.assistant.config import AssistantSettings
from backbone.jobs import Outcome
from tests.integration.assistant._owners import (
    TASKS_TABLE,
    a_token,
    count_rows,
    database_of,
)
from tests.integration.assistant._tasks import SALES_CSV, run_task, submit, upload
from tests.integration.assistant.conftest import (
    Accounts,
    assert_problem,
    bearer,
    serving,
    sql,
)

pytestmark = pytest.mark.integration

SettingsFactory = Callable[..., AssistantSettings]
ORDERS = {"source": "orders"}
MIB = 1024 * 1024


async def _set_state(database_url: str, task_id: str, state: str) -> None:
    await sql(
        database_url, "execute", "UPDATE assistant_tasks SET state = $1 WHERE id = $2",
        state, uuid.UUID(task_id),
    )  # fmt: skip


async def _accepted(api: httpx.AsyncClient, token: str, task_input: dict[str, Any]) -> str:
    response = await submit(api, token, task_input)
    assert response.status_code == 202, response.text
    task_id: str = response.json()["task_id"]
    return task_id


async def test_a_submission_is_202_and_recorded_pending(
    api: httpx.AsyncClient, accounts: Accounts, settings: AssistantSettings
) -> None:
    """202 with Location, Retry-After and the id; the row pending, the caller's, normalised."""
    user, tokens = await accounts.new()
    token = tokens["access_token"]
    dataset_id = (await upload(api, token, SALES_CSV)).json()["dataset_id"]
    response = await api.post(
        "/v1/tasks",
        json={"type": "analysis", "input": {"dataset_id": dataset_id.upper(), "question": "q?"}},
        headers={**bearer(token), "X-Request-ID": "submit-check-1"},
    )
    assert response.status_code == 202, response.text
    task_id = response.json()["task_id"]
    assert response.json() == {"task_id": task_id}
    assert response.headers["location"] == f"/v1/tasks/{task_id}"
    assert response.headers["retry-after"] == str(settings.retry_after)
    row = await sql(
        database_of(settings), "fetchrow", "SELECT * FROM assistant_tasks WHERE id = $1",
        uuid.UUID(task_id),
    )  # fmt: skip
    assert (row["state"], str(row["owner_id"]), row["type"]) == (
        "pending",
        user["user_id"],
        "analysis",
    )
    assert json.loads(row["input"]) == {"dataset_id": dataset_id, "question": "q?"}
    assert row["request_id"] == "submit-check-1"


@pytest.mark.parametrize("task_type", ["recommendation"])
async def test_a_type_not_available_yet_is_422(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str, task_type: str
) -> None:
    """recommendation: 422 "not available yet", nothing recorded."""
    response = await submit(api, await a_token(accounts), ORDERS, task_type)
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "type"]
    assert "not available yet" in body["errors"][0]["msg"]
    assert await count_rows(migrated_database, TASKS_TABLE) == 0


INVALID_BODIES: dict[str, dict[str, Any]] = {
    "unknown type": {"type": "poem", "input": ORDERS},
    "unknown member": {"type": "analysis", "input": ORDERS, "priority": 1},
    "unknown input member": {"type": "analysis", "input": {**ORDERS, "limit": 5}},
    "missing input": {"type": "analysis"},
    "input not an object": {"type": "analysis", "input": ["orders"]},
    "empty input": {"type": "analysis", "input": {}},
    "dataset_id and source": {
        "type": "analysis",
        "input": {"dataset_id": str(uuid.uuid4()), **ORDERS},
    },
    "unknown source": {"type": "analysis", "input": {"source": "users"}},
    "no such dataset": {"type": "analysis", "input": {"dataset_id": str(uuid.uuid4())}},
    "question over 2000 characters": {
        "type": "analysis",
        "input": {**ORDERS, "question": "x" * 2001},
    },
}


@pytest.mark.parametrize("body", INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
async def test_an_invalid_task_is_422_and_not_recorded(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str, body: dict[str, Any]
) -> None:
    """A body or input that does not validate: 422 with errors, nothing recorded."""
    token = await a_token(accounts)
    response = await api.post("/v1/tasks", json=body, headers=bearer(token))
    assert assert_problem(response, 422)["errors"]
    assert await count_rows(migrated_database, TASKS_TABLE) == 0


async def test_a_question_of_2000_characters_is_accepted(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """The question's limit is inclusive: 2,000 characters are a 202."""
    await _accepted(api, await a_token(accounts), {**ORDERS, "question": "x" * 2000})


async def test_a_body_of_another_content_type_is_415(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """JSON sent as text/plain: 415 with Accept-Post, nothing recorded."""
    response = await api.post(
        "/v1/tasks",
        content=b'{"type": "analysis", "input": {"source": "orders"}}',
        headers={**bearer(await a_token(accounts)), "Content-Type": "text/plain"},
    )
    assert_problem(response, 415)
    assert response.headers["accept-post"] == "application/json"
    assert await count_rows(migrated_database, TASKS_TABLE) == 0


async def test_a_body_that_is_not_utf8_is_400(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """A JSON body with a byte that is not UTF-8: 400, nothing recorded."""
    response = await api.post(
        "/v1/tasks",
        content=b'{"type": "analysis", "input": {"source": "orders", "question": "\xff"}}',
        headers={**bearer(await a_token(accounts)), "Content-Type": "application/json"},
    )
    assert_problem(response, 400)
    assert await count_rows(migrated_database, TASKS_TABLE) == 0


async def test_a_body_that_is_not_json_is_400(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """A body that is not JSON at all: 400 (it does not decode), not 422."""
    response = await api.post(
        "/v1/tasks",
        content=b'{"type": "analysis",',
        headers={**bearer(await a_token(accounts)), "Content-Type": "application/json"},
    )
    assert_problem(response, 400)


async def test_a_body_over_1_mib_is_413(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """A task body over 1 MiB: 413, nothing recorded."""
    response = await submit(api, await a_token(accounts), {**ORDERS, "question": "x" * MIB})
    assert_problem(response, 413)
    assert await count_rows(migrated_database, TASKS_TABLE) == 0


async def test_submissions_past_the_burst_are_429(make_settings: SettingsFactory) -> None:
    """The third submission with a burst of 2: 429 with Retry-After; two rows recorded."""
    settings = make_settings(task_submit_burst=2)
    async with serving(create_app(settings)) as api:
        token = await a_token(Accounts(api))
        for _ in range(2):
            await _accepted(api, token, ORDERS)
        refused = await submit(api, token, ORDERS)
    assert_problem(refused, 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert await count_rows(database_of(settings), TASKS_TABLE) == 2


async def test_a_pending_task_reads_as_pending(
    api: httpx.AsyncClient, accounts: Accounts, settings: AssistantSettings
) -> None:
    """GET of a fresh task: pending, Retry-After, no engine, no progress, no steps or result."""
    token = await a_token(accounts)
    task_id = await _accepted(api, token, ORDERS)
    response = await api.get(f"/v1/tasks/{task_id}", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["retry-after"] == str(settings.retry_after)
    task = response.json()
    assert (task["task_id"], task["type"], task["status"]) == (task_id, "analysis", "pending")
    assert task["input"] == ORDERS
    assert task["engine"] is None
    assert task["progress"]["completed_steps"] == 0
    assert (task["steps"], task["result"], task["error"], task["attempts"]) == ([], None, None, 0)


async def test_the_list_filters_by_type_and_status_and_keeps_them_in_next(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """type and status filter the list; ``next`` keeps both filters; newest first."""
    token = await a_token(accounts)
    ids = [await _accepted(api, token, ORDERS) for _ in range(4)]
    await sql(
        migrated_database, "execute",
        "UPDATE assistant_tasks SET type = 'automation' WHERE id = $1", uuid.UUID(ids[0]),
    )  # fmt: skip
    await api.delete(f"/v1/tasks/{ids[1]}", headers=bearer(token))
    query = {"type": "analysis", "status": "pending", "limit": 1}
    first = (await api.get("/v1/tasks", params=query, headers=bearer(token))).json()
    assert [item["task_id"] for item in first["items"]] == [ids[3]]
    assert first["total"] == 2
    assert first["next"] == "/v1/tasks?type=analysis&status=pending&limit=1&offset=1"
    rest = (await api.get(first["next"], headers=bearer(token))).json()
    assert [item["task_id"] for item in rest["items"]] == [ids[2]]
    assert rest["next"] is None
    automation = await api.get("/v1/tasks", params={"type": "automation"}, headers=bearer(token))
    assert [item["task_id"] for item in automation.json()["items"]] == [ids[0]]
    cancelled = await api.get("/v1/tasks", params={"status": "cancelled"}, headers=bearer(token))
    assert [item["task_id"] for item in cancelled.json()["items"]] == [ids[1]]


async def test_an_unknown_filter_value_is_422(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """A status that is no task state: 422, not an empty page."""
    response = await api.get(
        "/v1/tasks", params={"status": "done"}, headers=bearer(await a_token(accounts))
    )
    assert_problem(response, 422)


async def test_cancelling_a_pending_task_is_200_cancelled_and_again_200(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """DELETE of a pending task: 200 cancelled, recorded; a second DELETE: 200 again."""
    token = await a_token(accounts)
    task_id = await _accepted(api, token, ORDERS)
    first = await api.delete(f"/v1/tasks/{task_id}", headers=bearer(token))
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "cancelled"
    again = await api.delete(f"/v1/tasks/{task_id}", headers=bearer(token))
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "cancelled"
    state = await sql(
        migrated_database, "fetchval", "SELECT state FROM assistant_tasks WHERE id = $1",
        uuid.UUID(task_id),
    )  # fmt: skip
    assert state == "cancelled"


async def test_cancelling_a_complete_task_is_409(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """DELETE of a complete task: 409, and it stays complete."""
    token = await a_token(accounts)
    task_id = await _accepted(api, token, ORDERS)
    await _set_state(migrated_database, task_id, "complete")
    assert_problem(await api.delete(f"/v1/tasks/{task_id}", headers=bearer(token)), 409)
    task = (await api.get(f"/v1/tasks/{task_id}", headers=bearer(token))).json()
    assert task["status"] == "complete"


async def test_an_admin_sees_reads_and_cancels_every_users_tasks(
    make_settings: SettingsFactory,
) -> None:
    """An admin lists both users' tasks, reads another's and cancels it."""
    settings = make_settings(admin_emails=["boss@example.com"])
    async with serving(create_app(settings)) as api:
        accounts = Accounts(api)
        admin = bearer(await a_token(accounts, "boss@example.com"))
        theirs = await _accepted(api, await a_token(accounts), ORDERS)
        others = await _accepted(api, await a_token(accounts), ORDERS)
        listed = await api.get("/v1/tasks", headers=admin)
        read = await api.get(f"/v1/tasks/{theirs}", headers=admin)
        cancelled = await api.delete(f"/v1/tasks/{theirs}", headers=admin)
    assert [item["task_id"] for item in listed.json()["items"]] == [others, theirs]
    assert read.status_code == 200, read.text
    assert read.json()["task_id"] == theirs
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"


async def test_the_broker_down_is_503_and_nothing_recorded(
    api: httpx.AsyncClient,
    accounts: Accounts,
    make_settings: SettingsFactory,
    closed_redis_url: str,
) -> None:
    """The broker unreachable (the limiter's Redis up): 503 with Retry-After, no row."""
    token = await a_token(accounts)
    settings = make_settings(broker_url=closed_redis_url)
    async with serving(create_app(settings)) as down:
        response = await submit(down, token, ORDERS)
    body = assert_problem(response, 503)
    assert "broker" in body["detail"]
    assert response.headers["retry-after"] == str(settings.retry_after)
    assert await count_rows(database_of(settings), TASKS_TABLE) == 0


async def test_redis_down_is_503_and_nothing_recorded(
    api: httpx.AsyncClient,
    accounts: Accounts,
    make_settings: SettingsFactory,
    closed_redis_url: str,
) -> None:
    """Redis unreachable (broker and submission limit alike): 503 with Retry-After, no row."""
    token = await a_token(accounts)
    settings = make_settings(redis_url=closed_redis_url)
    async with serving(create_app(settings)) as down:
        response = await submit(down, token, ORDERS)
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) >= 1
    assert await count_rows(database_of(settings), TASKS_TABLE) == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/tasks/not-a-uuid"),
        ("DELETE", "/v1/tasks/not-a-uuid"),
        ("GET", "/v1/tasks/not-a-uuid/events"),
        ("GET", "/v1/tasks/not-a-uuid/artifacts/chart.png"),
    ],
)
async def test_a_malformed_task_id_is_422(
    api: httpx.AsyncClient, accounts: Accounts, method: str, path: str
) -> None:
    """A task id that is not a UUID: 422 naming the path parameter, never "pending"."""
    response = await api.request(method, path, headers=bearer(await a_token(accounts)))
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["path", "task_id"]


async def test_a_pending_tasks_artifact_is_409(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """The owner asking for an artifact of a task not complete yet: 409."""
    token = await a_token(accounts)
    task_id = await _accepted(api, token, ORDERS)
    response = await api.get(f"/v1/tasks/{task_id}/artifacts/chart.png", headers=bearer(token))
    assert_problem(response, 409)


@pytest.mark.parametrize(
    ("name", "status"),
    [("report.pdf", 404), ("T9Ui", 404), ("..%2F..%2Fsecret", 404), (".hidden", 422)],
)
async def test_an_artifact_the_task_did_not_make_is_not_served(
    api: httpx.AsyncClient, accounts: Accounts, settings: AssistantSettings, name: str, status: int
) -> None:
    """A complete task's artifact under a name its result does not list: 404 (422 if invalid)."""
    token = await a_token(accounts)
    dataset_id = (await upload(api, token, SALES_CSV)).json()["dataset_id"]
    task_id = await _accepted(api, token, {"dataset_id": dataset_id, "question": "trend"})
    assert await asyncio.to_thread(run_task, settings, task_id) is Outcome.COMPLETE
    response = await api.get(f"/v1/tasks/{task_id}/artifacts/{name}", headers=bearer(token))
    assert_problem(response, status)
