"""Reading jobs: status, report, cancellation and the list, all from the job table."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from backbone.reports.config import ReportsSettings
from tests.integration.reports.conftest import JobTable, assert_problem

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
UNKNOWN = "6f1c3a52-0000-4000-8000-000000000000"
MALFORMED = ["not-a-uuid", "123", "6f1c3a52-0000-4000-8000-00000000000g"]
JOB_PATHS = ["/reports/{}/status", "/reports/{}"]


async def _submit(api: httpx.AsyncClient) -> str:
    response = await api.post("/generate-report")
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


async def test_new_job_is_pending(api: httpx.AsyncClient, api_settings: ReportsSettings) -> None:
    """A submitted job's status: pending, 0 %, no attempts, links, and Retry-After."""
    job_id = await _submit(api)
    response = await api.get(f"/reports/{job_id}/status")
    assert response.status_code == 200
    assert response.headers["retry-after"] == str(api_settings.retry_after)
    body = response.json()
    assert body["job_id"] == job_id
    assert (body["status"], body["progress"], body["attempts"]) == ("pending", 0, 0)
    assert (body["error"], body["started_at"], body["finished_at"]) == (None, None, None)
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert body["links"] == {
        "status": f"/reports/{job_id}/status",
        "report": None,
        "cancel": f"/reports/{job_id}",
    }


async def test_status_follows_the_row(api: httpx.AsyncClient, job_table: JobTable) -> None:
    """The status shows what the worker wrote, in progress and then complete."""
    job_id = await _submit(api)
    await job_table.set(job_id, state="in-progress", progress=40, attempts=2, started_at=T0)
    body = (await api.get(f"/reports/{job_id}/status")).json()
    assert (body["status"], body["progress"], body["attempts"]) == ("in-progress", 40, 2)
    assert datetime.fromisoformat(body["started_at"]) == T0
    finished = T0 + timedelta(seconds=15)
    await job_table.set(job_id, state="complete", progress=100, finished_at=finished)
    response = await api.get(f"/reports/{job_id}/status")
    body = response.json()
    assert body["status"] == "complete"
    assert datetime.fromisoformat(body["finished_at"]) == finished
    assert body["links"]["report"] == f"/reports/{job_id}"
    assert body["links"]["cancel"] is None
    assert "retry-after" not in response.headers


async def test_failed_job_shows_its_reason(api: httpx.AsyncClient, job_table: JobTable) -> None:
    """A failed job's status carries the reason the worker recorded."""
    job_id = await job_table.add("failed", error="soft time limit exceeded", attempts=3)
    body = (await api.get(f"/reports/{job_id}/status")).json()
    assert (body["status"], body["error"], body["attempts"]) == (
        "failed",
        "soft time limit exceeded",
        3,
    )


@pytest.mark.parametrize("path", [*JOB_PATHS, "DELETE"])
async def test_unknown_id_is_404_never_pending(
    api: httpx.AsyncClient, job_table: JobTable, path: str
) -> None:
    """An id no job has is 404 everywhere (Celery would have called it PENDING)."""
    await job_table.add()
    if path == "DELETE":
        response = await api.delete(f"/reports/{UNKNOWN}")
    else:
        response = await api.get(path.format(UNKNOWN))
    assert UNKNOWN in assert_problem(response, 404)["detail"]


@pytest.mark.parametrize("job_id", MALFORMED)
@pytest.mark.parametrize("method", ["GET status", "GET", "DELETE"])
async def test_malformed_id_is_422(api: httpx.AsyncClient, job_id: str, method: str) -> None:
    """A job id that is not a UUID is 422."""
    if method == "GET status":
        response = await api.get(f"/reports/{job_id}/status")
    else:
        response = await api.request(method, f"/reports/{job_id}")
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["path", "job_id"]


@pytest.mark.parametrize(
    ("state", "retry"),
    [("pending", True), ("in-progress", True), ("failed", False), ("cancelled", False)],
)
async def test_report_is_409_until_complete(
    api: httpx.AsyncClient,
    api_settings: ReportsSettings,
    job_table: JobTable,
    state: str,
    retry: bool,
) -> None:
    """Before completion the report is 409; Retry-After only while it may still complete."""
    job_id = await job_table.add(state)
    response = await api.get(f"/reports/{job_id}")
    assert state in assert_problem(response, 409)["detail"]
    assert response.headers.get("retry-after") == (str(api_settings.retry_after) if retry else None)


async def test_complete_report_is_text(
    api: httpx.AsyncClient, api_settings: ReportsSettings, job_table: JobTable
) -> None:
    """A complete job with its file answers the file, as text/plain."""
    job_id = await _submit(api)
    await job_table.set(job_id, state="complete", progress=100)
    api_settings.reports_dir.mkdir(parents=True)
    text = "2026-01-01T00:00:00+00:00\ntitle: Report ✓\n"
    (api_settings.reports_dir / f"{job_id}.txt").write_text(text, encoding="utf-8")
    response = await api.get(f"/reports/{job_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"] == f'inline; filename="{job_id}.txt"'
    assert response.text == text


async def test_complete_without_file_is_410(api: httpx.AsyncClient, job_table: JobTable) -> None:
    """A complete job whose file is gone answers 410, not a 500 or an empty report."""
    job_id = await job_table.add("complete", progress=100)
    assert "no longer there" in assert_problem(await api.get(f"/reports/{job_id}"), 410)["detail"]


@pytest.mark.parametrize("state", ["pending", "in-progress"])
async def test_cancel_pending_or_running(
    api: httpx.AsyncClient, job_table: JobTable, state: str
) -> None:
    """DELETE cancels a pending or running job: 200 with its status, the row cancelled."""
    job_id = await job_table.add(state, progress=30 if state == "in-progress" else 0)
    response = await api.delete(f"/reports/{job_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["error"]) == ("cancelled", "Cancelled on request.")
    assert body["links"]["cancel"] is None
    row = await job_table.row(job_id)
    assert row["state"] == "cancelled"
    assert row["finished_at"] is not None
    assert datetime.fromisoformat(body["finished_at"]) == row["finished_at"]


async def test_cancel_twice_is_200_and_changes_nothing(
    api: httpx.AsyncClient, job_table: JobTable
) -> None:
    """Cancelling a cancelled job answers its status again; the first cancellation stands."""
    job_id = await _submit(api)
    first = (await api.delete(f"/reports/{job_id}")).json()
    again = await api.delete(f"/reports/{job_id}")
    assert again.status_code == 200
    assert again.json() == first
    assert (await api.get(f"/reports/{job_id}/status")).json() == first


@pytest.mark.parametrize("state", ["complete", "failed"])
async def test_final_job_cannot_be_cancelled(
    api: httpx.AsyncClient, job_table: JobTable, state: str
) -> None:
    """DELETE of a complete or failed job is 409 and leaves the row as it was."""
    job_id = await job_table.add(state, finished_at=T0)
    before = await job_table.row(job_id)
    response = await api.delete(f"/reports/{job_id}")
    assert state in assert_problem(response, 409)["detail"]
    assert await job_table.row(job_id) == before


async def _add_jobs(job_table: JobTable, states: list[str]) -> list[uuid.UUID]:
    """Jobs created a minute apart, in ``states``, oldest first."""
    return [
        await job_table.add(state, created_at=T0 + timedelta(minutes=n))
        for n, state in enumerate(states)
    ]


def _ids(page: dict[str, Any]) -> list[str]:
    return [item["job_id"] for item in page["items"]]


async def test_list_is_paginated_newest_first(api: httpx.AsyncClient, job_table: JobTable) -> None:
    """Pages of `limit` jobs, newest first, with total and a next link that ends."""
    ids = [str(i) for i in await _add_jobs(job_table, ["pending"] * 5)]
    first = (await api.get("/reports", params={"limit": 2})).json()
    assert (_ids(first), first["total"], first["limit"], first["offset"]) == (
        [ids[4], ids[3]],
        5,
        2,
        0,
    )
    assert first["next"] == "/reports?limit=2&offset=2"
    second = (await api.get(first["next"])).json()
    third = (await api.get(second["next"])).json()
    assert _ids(second) == [ids[2], ids[1]]
    assert (_ids(third), third["next"]) == ([ids[0]], None)
    assert (await api.get("/reports", params={"offset": 10})).json()["items"] == []


async def test_list_filters_by_status(api: httpx.AsyncClient, job_table: JobTable) -> None:
    """`status` keeps only the jobs in that state, and the next link keeps the filter."""
    states = ["complete", "pending", "complete", "failed", "complete"]
    ids = [str(i) for i in await _add_jobs(job_table, states)]
    page = (await api.get("/reports", params={"status": "complete", "limit": 2})).json()
    assert (_ids(page), page["total"]) == ([ids[4], ids[2]], 3)
    assert page["next"] == "/reports?status=complete&limit=2&offset=2"
    assert _ids((await api.get(page["next"])).json()) == [ids[0]]
    assert {item["status"] for item in page["items"]} == {"complete"}
    empty = (await api.get("/reports", params={"status": "cancelled"})).json()
    assert (empty["items"], empty["total"], empty["next"]) == ([], 0, None)


@pytest.mark.parametrize(
    "params",
    [{"status": "done"}, {"limit": 0}, {"limit": 101}, {"offset": -1}, {"offset": 1_000_001}],
)
async def test_list_refuses_bad_queries(api: httpx.AsyncClient, params: dict[str, Any]) -> None:
    """An unknown state or a limit / offset out of range is 422."""
    assert_problem(await api.get("/reports", params=params), 422)


async def test_cancel_revokes_the_task(
    api: httpx.AsyncClient, job_table: JobTable, redis_url: str
) -> None:
    """Cancelling broadcasts Celery's revoke for the job's task (without terminate)."""
    job_id = await job_table.add("pending")
    subscriber = Redis.from_url(redis_url)
    pubsub = subscriber.pubsub()
    try:
        await pubsub.psubscribe("*celery.pidbox")
        assert (await pubsub.get_message(timeout=5))["type"] == "psubscribe"
        assert (await api.delete(f"/reports/{job_id}")).status_code == 200
        message = await pubsub.get_message(timeout=5)
    finally:
        await pubsub.aclose()
        await subscriber.aclose()
    assert message is not None
    command = json.loads(base64.b64decode(json.loads(message["data"])["body"]))
    assert command["method"] == "revoke"
    assert command["arguments"]["task_id"] == str(job_id)
    assert command["arguments"]["terminate"] is False
