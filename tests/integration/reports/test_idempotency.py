"""POST /generate-report with an Idempotency-Key: one job per key and request, however
often and however concurrently it is sent; another request with the key is refused."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from backbone.jobs import KEY_REUSED
from backbone.reports import create_app
from backbone.reports.config import ReportsSettings
from tests.integration.reports.conftest import (
    JobTable,
    Queue,
    assert_problem,
    closed_redis_url,
    serving,
)

pytestmark = pytest.mark.integration

REPLAYED = "idempotent-replayed"


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


async def test_the_same_key_twice_is_one_job(
    api: httpx.AsyncClient, job_table: JobTable, broker_queue: Queue
) -> None:
    """The second request answers 202 with the first's job id and Location, marked as a
    replay; one row, one message."""
    key = _key()
    first = await api.post("/generate-report", json={"title": "Q3"}, headers=key)
    second = await api.post("/generate-report", json={"title": "Q3"}, headers=key)
    assert (first.status_code, second.status_code) == (202, 202), second.text
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["retry-after"] == first.headers["retry-after"]
    assert REPLAYED not in first.headers
    assert second.headers[REPLAYED] == "true"
    [row] = await job_table.rows()
    assert str(row["id"]) == first.json()["job_id"]
    assert row["idempotency_key"] == key["Idempotency-Key"]
    assert await broker_queue.job_ids() == [first.json()["job_id"]]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", None),
        (b"{}", "application/json"),
        (b'{"title": "Report"}', "application/json"),
        (b'  {  "title" :"Report"}\n', "application/json; charset=utf-8"),
    ],
    ids=["no-body", "empty-object", "default-written-out", "spacing"],
)
async def test_the_same_request_written_differently_is_a_replay(
    api: httpx.AsyncClient, job_table: JobTable, content: bytes, content_type: str | None
) -> None:
    """No body, {} and the default title written out (any spacing) are one request."""
    key = _key()
    first = await api.post("/generate-report", headers=key)
    headers = {**key, **({"content-type": content_type} if content_type else {})}
    again = await api.post("/generate-report", content=content, headers=headers)
    assert again.status_code == 202, again.text
    assert again.json() == first.json()
    assert again.headers[REPLAYED] == "true"
    assert len(await job_table.rows()) == 1


async def test_the_same_key_with_another_body_is_422_and_records_nothing(
    api: httpx.AsyncClient, job_table: JobTable, broker_queue: Queue
) -> None:
    """Another title with a used key: 422 of the key-reused type; still one job, one message."""
    key = _key()
    first = await api.post("/generate-report", json={"title": "Q3"}, headers=key)
    other = await api.post("/generate-report", json={"title": "Q4"}, headers=key)
    body = assert_problem(other, 422)
    assert body["type"] == KEY_REUSED
    assert body["title"] == "Idempotency-Key is already used"
    assert key["Idempotency-Key"] not in other.text
    assert [str(row["id"]) for row in await job_table.rows()] == [first.json()["job_id"]]
    assert await broker_queue.job_ids() == [first.json()["job_id"]]
    again = await api.post("/generate-report", json={"title": "Q3"}, headers=key)
    assert again.json() == first.json()  # the refusal changed nothing


async def test_twenty_concurrent_requests_with_one_key_make_one_job(
    api: httpx.AsyncClient, job_table: JobTable, broker_queue: Queue
) -> None:
    """20 requests with one key at once: all 202 with one job id, 19 replays, one message."""
    key = _key()
    responses = await asyncio.gather(
        *(api.post("/generate-report", json={"title": "Race"}, headers=key) for _ in range(20))
    )
    assert {response.status_code for response in responses} == {202}
    assert len({response.json()["job_id"] for response in responses}) == 1
    assert sum(response.headers.get(REPLAYED) == "true" for response in responses) == 19
    [row] = await job_table.rows()
    assert await broker_queue.job_ids() == [str(row["id"])]


async def test_without_a_key_every_request_is_a_new_job(
    api: httpx.AsyncClient, job_table: JobTable, broker_queue: Queue
) -> None:
    """No key: two equal requests are two jobs, as before, neither a replay."""
    first = await api.post("/generate-report", json={"title": "Q3"})
    second = await api.post("/generate-report", json={"title": "Q3"})
    assert first.json() != second.json()
    assert REPLAYED not in first.headers
    assert REPLAYED not in second.headers
    assert len(await job_table.rows()) == 2
    assert len(await broker_queue.job_ids()) == 2


async def test_two_keys_are_two_jobs(api: httpx.AsyncClient, job_table: JobTable) -> None:
    """Different keys with the same request are different jobs (keys match exactly)."""
    first = await api.post("/generate-report", headers={"Idempotency-Key": "abc"})
    second = await api.post("/generate-report", headers={"Idempotency-Key": "ABC"})
    assert first.json() != second.json()
    assert len(await job_table.rows()) == 2


@pytest.mark.parametrize(
    "value",
    [b"", b"x" * 256, b"caf\xc3\xa9", b"tab\there", b"nul\x7f"],
    ids=["empty", "too-long", "non-ascii", "control", "delete"],
)
async def test_a_malformed_key_is_422_and_records_nothing(
    api: httpx.AsyncClient, job_table: JobTable, broker_queue: Queue, value: bytes
) -> None:
    """A key that is empty, over 255 characters or not printable ASCII: 422 naming the
    header, nothing recorded or queued."""
    response = await api.post("/generate-report", headers=[(b"Idempotency-Key", value)])
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await job_table.rows() == []
    assert await broker_queue.messages() == []


async def test_the_longest_key_is_accepted(api: httpx.AsyncClient) -> None:
    """255 printable characters, inner spaces included, make a key."""
    key = {"Idempotency-Key": "k " + "~" * 253}
    first = await api.post("/generate-report", headers=key)
    again = await api.post("/generate-report", headers=key)
    assert first.status_code == 202, first.text
    assert again.headers[REPLAYED] == "true"


async def test_a_retry_after_a_503_submits_the_job(
    api_settings: ReportsSettings, api: httpx.AsyncClient, job_table: JobTable
) -> None:
    """A keyed submit refused for a broker that is down recorded nothing; its retry with
    the key, broker back, submits the job (not a replay)."""
    key = _key()
    down = api_settings.model_copy(update={"redis_url": closed_redis_url()})
    async with serving(create_app(down)) as client:
        refused = await client.post("/generate-report", json={"title": "Q3"}, headers=key)
    assert_problem(refused, 503)
    assert await job_table.rows() == []
    retried = await api.post("/generate-report", json={"title": "Q3"}, headers=key)
    assert retried.status_code == 202, retried.text
    assert REPLAYED not in retried.headers
    assert [str(row["id"]) for row in await job_table.rows()] == [retried.json()["job_id"]]


async def test_a_replay_names_the_job_whatever_its_state(
    api: httpx.AsyncClient, job_table: JobTable, broker_queue: Queue
) -> None:
    """A key whose job has finished still answers with that job, and queues nothing."""
    key = _key()
    job_id = (await api.post("/generate-report", headers=key)).json()["job_id"]
    await job_table.set(job_id, state="complete", progress=100)
    again = await api.post("/generate-report", headers=key)
    assert again.json()["job_id"] == job_id
    assert again.headers[REPLAYED] == "true"
    assert await broker_queue.job_ids() == [job_id]


async def test_a_key_lives_as_long_as_its_job(api: httpx.AsyncClient, job_table: JobTable) -> None:
    """Once the key's row is gone the key is free: the next request makes a new job."""
    key = _key()
    job_id = (await api.post("/generate-report", headers=key)).json()["job_id"]
    await job_table._run("execute", "DELETE FROM report_jobs WHERE id = $1", uuid.UUID(job_id))
    again = await api.post("/generate-report", headers=key)
    assert again.status_code == 202
    assert again.json()["job_id"] != job_id
    assert REPLAYED not in again.headers
