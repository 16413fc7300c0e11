"""A second job kind on backbone.jobs, end to end: owned jobs, steps as they come, a plan
that waits for approval, a JSON result and an artifact — real worker, Redis, PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from backbone.jobs import JobState
from tests.integration.jobs._plans import SUMMARY, PlanSettings
from tests.integration.reports._harness import WorkerProcess
from tests.integration.reports.conftest import assert_problem

pytestmark = pytest.mark.integration

ALICE, BOB = str(uuid.uuid4()), str(uuid.uuid4())
StartWorker = Callable[..., WorkerProcess]


def _as(user: str) -> dict[str, str]:
    return {"X-User": user}


async def _submit(api: httpx.AsyncClient, goal: str, user: str = ALICE) -> str:
    response = await api.post("/plans", json={"goal": goal}, headers=_as(user))
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


async def _wait(api: httpx.AsyncClient, job_id: str, state: JobState) -> dict[str, Any]:
    body: dict[str, Any] = {}
    try:
        async with asyncio.timeout(30):
            while body.get("status") != state:
                await asyncio.sleep(0.05)
                body = (await api.get(f"/plans/{job_id}", headers=_as(ALICE))).json()
    except TimeoutError:
        raise AssertionError(f"job {job_id} is {body.get('status')}, not {state}") from None
    return body


async def _steps(api: httpx.AsyncClient, job_id: str, after: int = 0) -> list[dict[str, Any]]:
    response = await api.get(f"/plans/{job_id}/steps", params={"after": after}, headers=_as(ALICE))
    assert response.status_code == 200, response.text
    steps: list[dict[str, Any]] = response.json()
    return steps


async def test_a_plan_waits_for_approval_then_acts(
    plans_api: httpx.AsyncClient, start_plans_worker: StartWorker, plan_settings: PlanSettings
) -> None:
    """Planned, it waits (awaiting-approval, the plan as its result); approved by a later
    request, it runs again to act: steps of both runs, a JSON result, its artifact."""
    start_plans_worker()
    job_id = await _submit(plans_api, "ship it")
    waiting = await _wait(plans_api, job_id, JobState.AWAITING_APPROVAL)
    items = ["ship it: item 1", "ship it: item 2", "ship it: item 3"]
    assert waiting["result"] == {"goal": "ship it", "items": items}
    assert [(s["seq"], s["agent"], s["tool"]) for s in await _steps(plans_api, job_id)] == [
        (1, "planner", "outline")
    ]
    approved = await plans_api.post(f"/plans/{job_id}/approve", headers=_as(ALICE))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] in {JobState.PENDING, JobState.IN_PROGRESS}
    done = await _wait(plans_api, job_id, JobState.COMPLETE)
    assert done["result"] == {"goal": "ship it", "done": items, "artifacts": [SUMMARY]}
    assert (done["progress"], done["attempts"], done["error"]) == (100, 1, None)
    steps = await _steps(plans_api, job_id)
    assert [(s["seq"], s["agent"]) for s in steps] == [
        (1, "planner"),
        (2, "executor"),
        (3, "executor"),
        (4, "executor"),
    ]
    assert [s["input"] for s in steps[1:]] == [{"item": item} for item in items]
    summary = plan_settings.artifacts_dir / job_id / SUMMARY
    assert summary.read_text() == "".join(f"- {item}\n" for item in items)


async def test_steps_can_be_followed_as_they_come(
    plans_api: httpx.AsyncClient, start_plans_worker: StartWorker
) -> None:
    """A reader polling after the last step it saw gets each step once, while the job runs."""
    start_plans_worker(step_pause=0.6)
    job_id = await _submit(plans_api, "slowly")
    await _wait(plans_api, job_id, JobState.AWAITING_APPROVAL)
    assert (await plans_api.post(f"/plans/{job_id}/approve", headers=_as(ALICE))).is_success
    seen: list[dict[str, Any]] = []
    running_with: set[int] = set()
    deadline = time.monotonic() + 30
    while len(seen) < 4 and time.monotonic() < deadline:
        after = seen[-1]["seq"] if seen else 0
        seen += await _steps(plans_api, job_id, after=after)
        status = (await plans_api.get(f"/plans/{job_id}", headers=_as(ALICE))).json()["status"]
        if status == JobState.IN_PROGRESS:
            running_with.add(len(seen))
        await asyncio.sleep(0.05)
    assert [s["seq"] for s in seen] == [1, 2, 3, 4]
    assert {2, 3} <= running_with  # executor steps seen while the job was still running
    await _wait(plans_api, job_id, JobState.COMPLETE)


async def test_another_users_job_is_an_unknown_job(plans_api: httpx.AsyncClient) -> None:
    """Bob cannot read, follow, approve, cancel or list Alice's job: 404, as for an unknown id."""
    job_id = await _submit(plans_api, "private")
    unknown = str(uuid.uuid4())
    for method, path in [
        ("GET", "/plans/{id}"),
        ("GET", "/plans/{id}/steps"),
        ("POST", "/plans/{id}/approve"),
        ("DELETE", "/plans/{id}"),
    ]:
        bobs = await plans_api.request(method, path.format(id=job_id), headers=_as(BOB))
        nobodys = await plans_api.request(method, path.format(id=unknown), headers=_as(ALICE))
        theirs, none = assert_problem(bobs, 404), assert_problem(nobodys, 404)
        assert theirs["detail"].replace(job_id, "?") == none["detail"].replace(unknown, "?")
        assert (theirs["title"], theirs["type"]) == (none["title"], none["type"])
    assert (await plans_api.get("/plans", headers=_as(BOB))).json()["total"] == 0
    alices = (await plans_api.get("/plans", headers=_as(ALICE))).json()
    assert [item["job_id"] for item in alices["items"]] == [job_id]
    assert (await plans_api.get(f"/plans/{job_id}", headers=_as(ALICE))).json()["status"] == (
        JobState.PENDING
    )


async def test_only_a_plan_awaiting_approval_can_be_approved(
    plans_api: httpx.AsyncClient, start_plans_worker: StartWorker
) -> None:
    """Approving a pending job is 409; a waiting plan can be cancelled, and is then final."""
    pending = await _submit(plans_api, "not yet")
    body = assert_problem(
        await plans_api.post(f"/plans/{pending}/approve", headers=_as(ALICE)), 409
    )
    assert body["detail"] == "The job is pending: only a plan awaiting approval can be."
    start_plans_worker()
    await _wait(plans_api, pending, JobState.AWAITING_APPROVAL)
    cancelled = await plans_api.delete(f"/plans/{pending}", headers=_as(ALICE))
    assert cancelled.json()["status"] == JobState.CANCELLED
    assert_problem(await plans_api.post(f"/plans/{pending}/approve", headers=_as(ALICE)), 409)


async def test_a_plan_that_raises_fails_with_its_reason(
    plans_api: httpx.AsyncClient, start_plans_worker: StartWorker
) -> None:
    """The handler's exception fails the job with one line: type and message."""
    start_plans_worker()
    job_id = await _submit(plans_api, "explode")
    failed = await _wait(plans_api, job_id, JobState.FAILED)
    assert failed["error"] == "RuntimeError: the goal cannot be reached"
    assert failed["result"] is None
