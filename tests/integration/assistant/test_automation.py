"""Automation end to end on the offline engine: submit, plan, approve (all, part) or reject,
then act — on the real gateway and Order Service, the real report API, and the
assistant's own database; each delivery is run in-process as a worker's task runs it."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backbone.assistant.config import AssistantSettings
from backbone.jobs import Outcome
from tests import _services
from tests.integration.assistant._automation import Automation, World, automation_world
from tests.integration.assistant.conftest import Accounts, assert_problem, bearer, sql

pytestmark = pytest.mark.integration

ADMIN = "automation-admin@example.com"
_USERS = itertools.count(7000)
GOAL = (
    "Cancel the pending orders of user {user}, then generate a report for user {user}"
    " and flag user {user} for follow-up because they asked twice"
)


@pytest.fixture(scope="module")
def world(
    postgres_server_url: str,
    _redis_databases: _services.RedisDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    """The services the automations act on, for the module."""
    root = Path(tmp_path_factory.mktemp("automation"))
    with automation_world(
        postgres_server_url=postgres_server_url, redis=_redis_databases, root=root
    ) as services:
        yield services


@pytest.fixture
def settings(make_settings: Callable[..., AssistantSettings], world: World) -> AssistantSettings:
    """The API's and the in-process worker's settings: the live services, an admin."""
    return make_settings(gateway_url=world.gateway, reports_url=world.reports, admin_emails=[ADMIN])


@pytest.fixture
async def automation(
    api: httpx.AsyncClient, accounts: Accounts, settings: AssistantSettings
) -> Automation:
    """A new user's automation (not submitted yet)."""
    _, tokens = await accounts.new()
    return Automation(api, settings, tokens["access_token"])


async def test_approved_in_full_every_action_is_done_and_visible(
    automation: Automation, world: World, migrated_database: str
) -> None:
    """Plan of three actions → approve → the orders are cancelled in the Order Service, the
    report job exists in the report processor, the flag in the database; one step each."""
    user = next(_USERS)
    orders = world.new_orders(user, 2)
    task = await automation.planned({"goal": GOAL.format(user=user)})
    assert task["status"] == "awaiting-approval"
    plan = task["result"]["data"]["plan"]
    assert [(a["id"], a["tool"]) for a in plan["actions"]] == [
        ("a1", "cancel_pending_orders"),
        ("a2", "generate_report"),
        ("a3", "flag_for_follow_up"),
    ]
    assert plan["actions"][0]["arguments"] == {"user_id": user, "older_than_days": 0}
    assert all(action["why"] for action in plan["actions"])
    assert [step["tool"] for step in task["steps"]][:3] == [
        "propose_cancel_pending_orders",
        "propose_generate_report",
        "propose_flag_for_follow_up",
    ]
    approved = await automation.decide("approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "pending"
    assert await automation.deliver() is Outcome.COMPLETE
    done = await automation.view()
    data = done["result"]["data"]
    assert (data["approved"], data["not_approved"]) == (["a1", "a2", "a3"], [])
    cancel, report, flag = (item["answer"] for item in data["done"])
    assert sorted(cancel["cancelled"]) == sorted(orders)
    assert world.statuses(user) == dict.fromkeys(orders, "cancelled")
    assert world.report(report["job_id"])["title"] == f"Report for user {user}"
    rows = await sql(
        migrated_database,
        "fetch",
        "SELECT user_id, reason, action_id FROM assistant_follow_ups WHERE task_id = $1",
        uuid.UUID(automation.task_id),
    )
    assert [tuple(row) for row in rows] == [(user, "they asked twice", "a3")]
    assert flag["user_id"] == user
    acting = [step for step in done["steps"] if step["agent"] == "Automation Executor"]
    assert [(s["tool"], s["input"]["action_id"]) for s in acting] == [
        ("cancel_pending_orders", "a1"),
        ("generate_report", "a2"),
        ("flag_for_follow_up", "a3"),
    ]


async def test_approved_in_part_only_those_actions_run(
    automation: Automation, world: World
) -> None:
    """Approving a2 alone makes the report and nothing else: the orders stay pending."""
    user = next(_USERS)
    orders = world.new_orders(user, 1)
    patches = world.orders.count("PATCH")
    await automation.planned({"goal": GOAL.format(user=user)})
    approved = await automation.decide("approve", {"action_ids": ["a2"]})
    assert approved.status_code == 200, approved.text
    assert await automation.deliver() is Outcome.COMPLETE
    data = (await automation.view())["result"]["data"]
    assert (data["approved"], data["not_approved"]) == (["a2"], ["a1", "a3"])
    assert [item["action_id"] for item in data["done"]] == ["a2"]
    assert world.statuses(user) == dict.fromkeys(orders, "pending")
    assert world.orders.count("PATCH") == patches


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ({"action_ids": ["a9"]}, None, 422),
        ({"action_ids": ["a1", "a1"]}, None, 422),
        ({"action_ids": []}, None, 422),
        ({"action_ids": ["a1"], "all": True}, None, 422),
        ("not json", "application/json", 400),
        ('{"action_ids": ["a1"]}', "text/plain", 415),
    ],
)
async def test_a_bad_approval_changes_nothing(
    automation: Automation, body: Any, content_type: str | None, status: int
) -> None:
    """An action id the plan lacks, a repeated or empty list, an unknown member (422), a body
    that is not JSON (400) or not sent as JSON (415): a problem, and the plan still waits."""
    await automation.planned({"goal": "generate a report for user 5"})
    url = f"/v1/tasks/{automation.task_id}/approve"
    headers = bearer(automation.token)
    if content_type is None:
        response = await automation.api.post(url, json=body, headers=headers)
    else:
        headers["Content-Type"] = content_type
        response = await automation.api.post(url, content=body, headers=headers)
    problem = assert_problem(response, status)
    if body == {"action_ids": ["a9"]}:
        assert "no action 'a9'" in json.dumps(problem)
    assert (await automation.view())["status"] == "awaiting-approval"


async def test_a_rejected_plan_ends_with_its_reason_and_does_nothing(
    automation: Automation, world: World
) -> None:
    """Reject: cancelled, `rejected: <reason>`, the plan still readable; nothing is sent to
    any service; deciding again is 409."""
    user = next(_USERS)
    orders = world.new_orders(user, 1)
    before = (world.orders.count("PATCH"), world.report_api.count("POST"))
    await automation.planned({"goal": GOAL.format(user=user)})
    rejected = await automation.decide("reject", {"reason": "not\x00 now"})
    assert rejected.status_code == 200, rejected.text
    task = rejected.json()
    assert (task["status"], task["error"]) == ("cancelled", "rejected: not now")
    assert len(task["result"]["data"]["plan"]["actions"]) == 3
    assert_problem(await automation.decide("approve"), 409)
    assert_problem(await automation.decide("reject"), 409)
    assert await automation.deliver() is Outcome.FINAL
    assert world.statuses(user) == dict.fromkeys(orders, "pending")
    assert (world.orders.count("PATCH"), world.report_api.count("POST")) == before


async def test_a_reason_is_optional_and_only_a_waiting_plan_can_be_decided(
    automation: Automation,
) -> None:
    """No body rejects with "no reason given"; a task not yet planned is 409 both ways."""
    await automation.submit({"goal": "generate a report for user 5"})
    assert_problem(await automation.decide("approve"), 409)
    assert_problem(await automation.decide("reject"), 409)
    assert await automation.deliver() is Outcome.AWAITING
    rejected = await automation.api.post(
        f"/v1/tasks/{automation.task_id}/reject", headers=bearer(automation.token)
    )
    assert rejected.json()["error"] == "rejected: no reason given"


async def test_only_the_owner_or_an_admin_decides(
    automation: Automation, accounts: Accounts, world: World
) -> None:
    """Another user's approve or reject is 404 with the body of an unknown id, and changes
    nothing; an admin may approve."""
    user = next(_USERS)
    await automation.planned({"goal": f"generate a report for user {user}"})
    _, other = await accounts.new()
    stranger = other["access_token"]
    unknown = Automation(automation.api, automation.settings, stranger)
    unknown.task_id = str(uuid.uuid4())
    for verb in ("approve", "reject"):
        theirs = assert_problem(await automation.decide(verb, token=stranger), 404)
        none = assert_problem(await unknown.decide(verb), 404)
        assert theirs["detail"].replace(automation.task_id, "?") == none["detail"].replace(
            unknown.task_id, "?"
        )
        assert (theirs["title"], theirs["type"]) == (none["title"], none["type"])
    assert (await automation.view())["status"] == "awaiting-approval"
    _, admin = await accounts.new(ADMIN)
    approved = await automation.decide("approve", token=admin["access_token"])
    assert approved.status_code == 200, approved.text
    assert await automation.deliver() is Outcome.COMPLETE


async def test_a_run_delivered_again_does_not_act_twice(
    automation: Automation, world: World, migrated_database: str
) -> None:
    """After the actions happened, the acting run delivered again (its worker died before
    completing) skips what its steps record; an action whose step was lost is sent again
    with the same Idempotency-Key. One cancel per order, one flag."""
    user = next(_USERS)
    world.new_orders(user, 2)
    await automation.planned({"goal": GOAL.format(user=user)})
    plan = (await automation.view())["result"]
    assert (await automation.decide("approve")).status_code == 200
    patches, posts = world.orders.count("PATCH"), world.report_api.count("POST")
    assert await automation.deliver() is Outcome.COMPLETE
    assert world.orders.count("PATCH") == patches + 2
    assert world.report_api.count("POST") == posts + 1
    assert await automation.deliver() is Outcome.FINAL  # a duplicate message: nothing
    task_id = uuid.UUID(automation.task_id)
    # The worker "died" after acting: in progress, its plan as the result, and the step
    # of a2 (the report) never written.
    await sql(
        migrated_database,
        "execute",
        "UPDATE assistant_tasks SET state = 'in-progress', result = $2::jsonb WHERE id = $1",
        task_id,
        json.dumps({**plan, "engine": "local"}),
    )
    await sql(
        migrated_database,
        "execute",
        "DELETE FROM assistant_task_steps WHERE job_id = $1 AND tool = 'generate_report'",
        task_id,
    )
    reads = world.orders.count("GET")
    assert await automation.deliver() is Outcome.COMPLETE
    assert (world.orders.count("PATCH"), world.orders.count("GET")) == (patches + 2, reads)
    sent = [r for r in world.report_api.requests if r.method == "POST"][posts:]
    assert len(sent) == 2
    assert sent[0].headers["idempotency-key"] == sent[1].headers["idempotency-key"]
    count = "SELECT count(*) FROM assistant_follow_ups WHERE task_id = $1"
    assert await sql(migrated_database, "fetchval", count, task_id) == 1
    task = await automation.view()
    assert [item["action_id"] for item in task["result"]["data"]["done"]] == ["a1", "a2", "a3"]
    steps = await sql(
        migrated_database,
        "fetch",
        "SELECT input->>'action_id' AS action_id FROM assistant_task_steps"
        " WHERE job_id = $1 AND agent = 'Automation Executor' ORDER BY action_id",
        task_id,
    )
    assert [row["action_id"] for row in steps] == ["a1", "a2", "a3"]  # one step each
