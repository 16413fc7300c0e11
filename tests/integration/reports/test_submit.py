"""POST /generate-report: 202 at once, the row committed and the message queued first."""

from __future__ import annotations

import uuid

import httpx
import pytest

from backbone.reports import create_app
from backbone.reports.config import ReportsSettings
from backbone.reports.kind import TASK_NAME
from tests.integration.reports.conftest import (
    JobTable,
    Queue,
    assert_problem,
    serving,
)

pytestmark = pytest.mark.integration


async def test_submit_answers_202_with_location_and_retry_after(
    api: httpx.AsyncClient, api_settings: ReportsSettings
) -> None:
    """A body-less submit is 202 {job_id} with the status URL in Location and Retry-After."""
    response = await api.post("/generate-report")
    assert response.status_code == 202, response.text
    job_id = uuid.UUID(response.json()["job_id"])
    assert response.json() == {"job_id": str(job_id)}
    assert response.headers["location"] == f"/reports/{job_id}/status"
    assert response.headers["retry-after"] == str(api_settings.retry_after)


async def test_row_is_committed_before_the_answer(
    api: httpx.AsyncClient, job_table: JobTable
) -> None:
    """Once the 202 is received, another connection sees the job's row, pending."""
    job_id = (await api.post("/generate-report")).json()["job_id"]
    row = await job_table.row(job_id)
    assert row["state"] == "pending"
    assert row["title"] == "Report"
    assert (row["progress"], row["attempts"], row["error"]) == (0, 0, None)
    assert row["created_at"] is not None


async def test_message_lands_in_the_queue(api: httpx.AsyncClient, broker_queue: Queue) -> None:
    """The job's task is in the broker's list for the queue, its task id the job id."""
    first = (await api.post("/generate-report")).json()["job_id"]
    second = (await api.post("/generate-report")).json()["job_id"]
    messages = await broker_queue.messages()
    assert [m["headers"]["id"] for m in messages] == [first, second]
    assert {m["headers"]["task"] for m in messages} == {TASK_NAME}
    assert messages[0]["headers"]["argsrepr"] == repr([first])


async def test_title_is_recorded(api: httpx.AsyncClient, job_table: JobTable) -> None:
    """A JSON body's title is stored and shown in the status."""
    response = await api.post("/generate-report", json={"title": "Quarterly — Q3 ✓"})
    job_id = response.json()["job_id"]
    assert (await job_table.row(job_id))["title"] == "Quarterly — Q3 ✓"
    status = (await api.get(f"/reports/{job_id}/status")).json()
    assert status["title"] == "Quarterly — Q3 ✓"


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"", {"content-type": "application/json"}),
        (b"", {"content-type": "text/plain"}),
        (b"{}", {"content-type": "application/json; charset=utf-8"}),
    ],
    ids=["empty-json", "empty-other-type", "empty-object"],
)
async def test_empty_bodies_submit_the_default(
    api: httpx.AsyncClient, job_table: JobTable, content: bytes, headers: dict[str, str]
) -> None:
    """No body, or an empty object, submits a job with the default title."""
    response = await api.post("/generate-report", content=content, headers=headers)
    assert response.status_code == 202, response.text
    assert (await job_table.row(response.json()["job_id"]))["title"] == "Report"


REFUSED_BODIES = [
    (b"hello", "text/plain", 415),
    (b'{"title": "x"}', None, 415),
    (b'{"title": "x"}', "application/x-www-form-urlencoded", 415),
    (b'{"title": "\xff"}', "application/json", 400),
    (b'{"title": "x", "owner": "me"}', "application/json", 422),
    (b"null", "application/json", 422),
    (b"[]", "application/json", 422),
    (b"{not json", "application/json", 422),
    (b'{"title": ""}', "application/json", 422),
    (b'{"title": null}', "application/json", 422),
    (b'{"title": 7}', "application/json", 422),
    (b'{"title": "a\\u0000b"}', "application/json", 422),
    (b'{"title": "tab\\there"}', "application/json", 422),
    (b'{"title": "\\ud800"}', "application/json", 422),
    (b'{"title": "' + b"x" * 201 + b'"}', "application/json", 422),
]


@pytest.mark.parametrize(("content", "content_type", "status"), REFUSED_BODIES)
async def test_refused_bodies_record_and_queue_nothing(
    api: httpx.AsyncClient,
    job_table: JobTable,
    broker_queue: Queue,
    content: bytes,
    content_type: str | None,
    status: int,
) -> None:
    """Wrong media type 415, not UTF-8 400, anything that does not validate 422: no job."""
    headers = {"content-type": content_type} if content_type else {}
    response = await api.post("/generate-report", content=content, headers=headers)
    body = assert_problem(response, status)
    if status == 415:
        assert response.headers["accept-post"] == "application/json"
    if status == 422:
        assert body["errors"][0]["loc"][0] == "body"
    assert await job_table.rows() == []
    assert await broker_queue.messages() == []


async def test_unknown_member_is_named(api: httpx.AsyncClient) -> None:
    """The 422 for an unknown member says which member, never echoing the input."""
    response = await api.post("/generate-report", json={"title": "x", "secret": "s3cr3t"})
    body = assert_problem(response, 422)
    assert body["errors"] == [
        {
            "loc": ["body", "secret"],
            "msg": "Extra inputs are not permitted",
            "type": "extra_forbidden",
        }
    ]
    assert "s3cr3t" not in response.text


async def test_too_large_body_is_413(
    api_settings: ReportsSettings, job_table: JobTable, broker_queue: Queue
) -> None:
    """A body over the size limit is 413 and nothing is recorded or queued."""
    small = api_settings.model_copy(update={"max_body_bytes": 64})
    async with serving(create_app(small)) as client:
        response = await client.post("/generate-report", json={"title": "x" * 100})
    assert_problem(response, 413)
    assert await job_table.rows() == []
    assert await broker_queue.messages() == []
