"""Ownership (BOLA): user B reaches none of user A's datasets and tasks — on every route
that takes an id, the same 404 as an unknown id —; and every ``/v1`` route but the token
exchanges needs a token (the routes read from the app's OpenAPI, so none is forgotten)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import httpx
import pytest

from backbone.assistant import create_app
from backbone.assistant.config import AssistantSettings
from backbone.jobs import Outcome
from tests.integration.assistant._owners import (
    DATASETS_TABLE,
    TASKS_TABLE,
    a_token,
    comparable,
    count_rows,
)
from tests.integration.assistant._tasks import SALES_CSV, run_task, submit, upload
from tests.integration.assistant.conftest import (
    Accounts,
    assert_problem,
    assert_unauthorized,
    assistant_settings,
    bearer,
    sql,
)

pytestmark = pytest.mark.integration

PUBLIC = frozenset({"/v1/auth/register", "/v1/auth/token", "/v1/auth/refresh"})
CHART = "chart.png"


@dataclass
class Owned:
    """User A's objects (a dataset, a pending task, a complete one) and user B's token."""

    a: str
    b: str
    dataset: str
    pending: str
    complete: str | None = None


async def _owned(api: httpx.AsyncClient, accounts: Accounts) -> Owned:
    a, b = await a_token(accounts), await a_token(accounts)
    dataset = (await upload(api, a, SALES_CSV)).json()["dataset_id"]
    pending = await submit(api, a, {"dataset_id": dataset})
    assert pending.status_code == 202, pending.text
    return Owned(a=a, b=b, dataset=dataset, pending=pending.json()["task_id"])


async def _complete(api: httpx.AsyncClient, settings: AssistantSettings, owned: Owned) -> str:
    """A's complete task, with its chart (one delivery in-process)."""
    accepted = await submit(api, owned.a, {"dataset_id": owned.dataset, "question": "trend"})
    task_id: str = accepted.json()["task_id"]
    assert await asyncio.to_thread(run_task, settings, task_id) is Outcome.COMPLETE
    chart = await api.get(f"/v1/tasks/{task_id}/artifacts/{CHART}", headers=bearer(owned.a))
    assert chart.status_code == 200, chart.text
    return task_id


# (method, path with {id}, the object of A's it names)
ID_ROUTES = [
    ("GET", "/v1/datasets/{id}", "dataset"),
    ("DELETE", "/v1/datasets/{id}", "dataset"),
    ("GET", "/v1/tasks/{id}", "pending"),
    ("DELETE", "/v1/tasks/{id}", "pending"),
    ("GET", "/v1/tasks/{id}/events", "complete"),
    ("GET", "/v1/tasks/{id}/events", "pending"),
    ("GET", "/v1/tasks/{id}/artifacts/" + CHART, "complete"),
]


@pytest.mark.parametrize(
    ("method", "path", "target"), ID_ROUTES, ids=[f"{m} {p} {t}" for m, p, t in ID_ROUTES]
)
async def test_another_users_object_is_the_same_404_as_an_unknown_id(
    api: httpx.AsyncClient,
    accounts: Accounts,
    settings: AssistantSettings,
    method: str,
    path: str,
    target: str,
) -> None:
    """B asking for A's object: 404 with the body an unknown id gets (but for the id)."""
    owned = await _owned(api, accounts)
    owned.complete = await _complete(api, settings, owned) if target == "complete" else None
    object_id = str(getattr(owned, target))
    unknown = str(uuid.uuid4())
    theirs = await api.request(method, path.format(id=object_id), headers=bearer(owned.b))
    missing = await api.request(method, path.format(id=unknown), headers=bearer(owned.b))
    assert_problem(theirs, 404)
    assert_problem(missing, 404)
    assert comparable(theirs, object_id) == comparable(missing, unknown)
    assert theirs.headers.keys() - {"x-request-id"} == missing.headers.keys() - {"x-request-id"}


async def test_b_cannot_cancel_as_task(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """B's DELETE of A's pending task: 404, and the task stays pending."""
    owned = await _owned(api, accounts)
    assert_problem(await api.delete(f"/v1/tasks/{owned.pending}", headers=bearer(owned.b)), 404)
    task = await api.get(f"/v1/tasks/{owned.pending}", headers=bearer(owned.a))
    assert task.json()["status"] == "pending"
    state = await sql(
        migrated_database, "fetchval", "SELECT state FROM assistant_tasks WHERE id = $1",
        uuid.UUID(owned.pending),
    )  # fmt: skip
    assert state == "pending"


async def test_b_cannot_delete_as_dataset(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """B's DELETE of A's dataset: 404, and A still has it."""
    owned = await _owned(api, accounts)
    path = f"/v1/datasets/{owned.dataset}"
    assert_problem(await api.delete(path, headers=bearer(owned.b)), 404)
    still = await api.get(path, headers=bearer(owned.a))
    assert still.status_code == 200, still.text


async def test_bs_lists_never_show_as_objects(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """B's dataset and task lists hold B's own objects only, whatever the filters."""
    owned = await _owned(api, accounts)
    mine = (await upload(api, owned.b, SALES_CSV)).json()["dataset_id"]
    my_task = (await submit(api, owned.b, {"source": "orders"})).json()["task_id"]
    datasets = (await api.get("/v1/datasets", headers=bearer(owned.b))).json()
    assert [item["dataset_id"] for item in datasets["items"]] == [mine]
    assert datasets["total"] == 1
    for params in ({}, {"status": "pending"}, {"type": "analysis"}):
        tasks = (await api.get("/v1/tasks", params=params, headers=bearer(owned.b))).json()
        assert [item["task_id"] for item in tasks["items"]] == [my_task]
        assert tasks["total"] == 1


async def test_b_cannot_analyse_as_dataset(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """B submitting an analysis of A's dataset: 422 as for an unknown one, nothing recorded."""
    owned = await _owned(api, accounts)
    unknown = str(uuid.uuid4())
    theirs = await submit(api, owned.b, {"dataset_id": owned.dataset})
    missing = await submit(api, owned.b, {"dataset_id": unknown})
    assert_problem(theirs, 422)
    assert comparable(theirs, owned.dataset) == comparable(missing, unknown)
    assert await count_rows(migrated_database, TASKS_TABLE) == 1  # A's pending task only
    assert await count_rows(migrated_database, DATASETS_TABLE) == 1


def _protected_operations() -> list[tuple[str, str]]:
    """Every (method, path) of the app's OpenAPI under /v1 but the token exchanges, with
    the path's parameters filled in."""
    settings = assistant_settings(
        database_url="postgresql://nobody@127.0.0.1:1/none", redis_url="redis://127.0.0.1:1/0"
    )
    operations = []
    for path, item in create_app(settings).openapi()["paths"].items():
        if not path.startswith("/v1/") or path in PUBLIC:
            continue
        concrete = path.format(dataset_id=uuid.uuid4(), task_id=uuid.uuid4(), name=CHART)
        operations.extend((method.upper(), concrete) for method in sorted(item))
    return operations


PROTECTED = _protected_operations()


def test_the_protected_routes_are_found() -> None:
    """The OpenAPI walk finds the id-bearing routes (an empty walk would prove nothing)."""
    paths = {path.split("/")[2] for _, path in PROTECTED}
    assert {"me", "users", "datasets", "tasks"} <= paths
    assert len(PROTECTED) >= len(ID_ROUTES)


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
async def test_every_v1_route_needs_a_token(api: httpx.AsyncClient, method: str, path: str) -> None:
    """No token: 401 with ``WWW-Authenticate: Bearer``, whatever the route."""
    assert_unauthorized(await api.request(method, path), token_sent=False)


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
async def test_every_v1_route_refuses_a_forged_token(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    """A token that is not one of ours: 401 with ``error="invalid_token"``, whatever the route."""
    response = await api.request(method, path, headers=bearer("not.a.jwt"))
    assert_unauthorized(response, token_sent=True)
