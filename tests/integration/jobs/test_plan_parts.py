"""Approving part of a plan, rejecting one, failing with what was done, and an acting run
delivered again: the layer's generic pieces, on the plan kind, each delivery in-process."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from backbone.jobs import JobRunner, JobState, Outcome
from backbone.jobs._database import Database
from tests.integration.jobs._plans import PLAN_JOBS, PLAN_STEPS, PlanHandler, PlanSettings
from tests.integration.reports.conftest import assert_problem

pytestmark = pytest.mark.integration

ALICE, BOB = str(uuid.uuid4()), str(uuid.uuid4())


def _as(user: str) -> dict[str, str]:
    return {"X-User": user}


def _deliver(settings: PlanSettings, job_id: str) -> Outcome:
    """One delivery of the job, as the worker's task runs it."""
    assert settings.database_url is not None
    database = Database(settings.database_url.get_secret_value())
    runner = JobRunner(
        kind="plans",
        table=PLAN_JOBS,
        handler=PlanHandler(settings),
        max_attempts=3,
        steps=PLAN_STEPS,
    )
    try:
        return runner.run(database, uuid.UUID(job_id))
    finally:
        database.close()


async def _planned(api: httpx.AsyncClient, settings: PlanSettings, goal: str) -> str:
    response = await api.post("/plans", json={"goal": goal}, headers=_as(ALICE))
    job_id: str = response.json()["job_id"]
    assert await asyncio.to_thread(_deliver, settings, job_id) is Outcome.AWAITING
    return job_id


async def _job(api: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await api.get(f"/plans/{job_id}", headers=_as(ALICE))).json()
    return body


async def _acts(api: httpx.AsyncClient, job_id: str) -> list[str]:
    steps = (await api.get(f"/plans/{job_id}/steps", headers=_as(ALICE))).json()
    return [step["input"]["item"] for step in steps if step["tool"] == "act"]


async def test_part_of_a_plan_approved_is_all_that_runs(
    plans_api: httpx.AsyncClient, plan_settings: PlanSettings
) -> None:
    """The approved items, recorded by the approving statement, are what the acting run does."""
    job_id = await _planned(plans_api, plan_settings, "part")
    chosen = ["part: item 1", "part: item 3"]
    approved = await plans_api.post(
        f"/plans/{job_id}/approve", json={"items": chosen}, headers=_as(ALICE)
    )
    assert approved.status_code == 200, approved.text
    assert await asyncio.to_thread(_deliver, plan_settings, job_id) is Outcome.COMPLETE
    assert await _acts(plans_api, job_id) == chosen
    assert (await _job(plans_api, job_id))["result"]["done"] == chosen


async def test_an_acting_run_delivered_again_does_nothing_twice(
    plans_api: httpx.AsyncClient, plan_settings: PlanSettings, database_url: str
) -> None:
    """A handler reads the steps of earlier deliveries back: run again after its first item
    (as if its worker had died), it does the other two items only."""
    job_id = await _planned(plans_api, plan_settings, "again")
    plan = (await _job(plans_api, job_id))["result"]
    assert (await plans_api.post(f"/plans/{job_id}/approve", headers=_as(ALICE))).is_success
    assert await asyncio.to_thread(_deliver, plan_settings, job_id) is Outcome.COMPLETE
    # The worker "died" after its first item: the job is still in progress with its plan,
    # its last two steps never written.
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "DELETE FROM plan_job_steps WHERE job_id = $1 AND seq > 2", uuid.UUID(job_id)
        )
        await conn.execute(
            "UPDATE plan_jobs SET state = 'in-progress', result = $2::jsonb WHERE id = $1",
            uuid.UUID(job_id),
            json.dumps(plan),
        )
    finally:
        await conn.close()
    assert await asyncio.to_thread(_deliver, plan_settings, job_id) is Outcome.COMPLETE
    assert await _acts(plans_api, job_id) == [f"again: item {n}" for n in (1, 2, 3)]


async def test_a_rejected_plan_is_cancelled_with_its_reason(
    plans_api: httpx.AsyncClient, plan_settings: PlanSettings
) -> None:
    """Reject: cancelled with the reason as the error; again, or approving after, is 409;
    another user's is 404; a pending job is 409 and stays pending."""
    job_id = await _planned(plans_api, plan_settings, "nope")
    assert_problem(await plans_api.post(f"/plans/{job_id}/reject", headers=_as(BOB)), 404)
    rejected = await plans_api.post(f"/plans/{job_id}/reject", headers=_as(ALICE))
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["error"]) == ("cancelled", "rejected: no")
    again = assert_problem(await plans_api.post(f"/plans/{job_id}/reject", headers=_as(ALICE)), 409)
    assert again["detail"] == "The job is cancelled: only a plan awaiting approval can be rejected."
    assert_problem(await plans_api.post(f"/plans/{job_id}/approve", headers=_as(ALICE)), 409)
    pending = (await plans_api.post("/plans", json={"goal": "x"}, headers=_as(ALICE))).json()
    pending_id = pending["job_id"]
    assert_problem(await plans_api.post(f"/plans/{pending_id}/reject", headers=_as(ALICE)), 409)
    assert (await _job(plans_api, pending_id))["status"] == JobState.PENDING


async def test_a_handler_fails_its_job_keeping_what_it_did(
    plans_api: httpx.AsyncClient, plan_settings: PlanSettings
) -> None:
    """JobFailed: the job fails with the handler's reason and the result it gave."""
    job_id = await _planned(plans_api, plan_settings, "stop")
    assert (await plans_api.post(f"/plans/{job_id}/approve", headers=_as(ALICE))).is_success
    assert await asyncio.to_thread(_deliver, plan_settings, job_id) is Outcome.FAILED
    job = await _job(plans_api, job_id)
    assert (job["status"], job["error"]) == ("failed", "stop: item 2 cannot be done")
    assert job["result"] == {"done": ["stop: item 1"]}
    assert await _acts(plans_api, job_id) == ["stop: item 1"]
