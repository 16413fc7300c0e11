"""The broker or the database unreachable: 503 with Retry-After, nothing half-recorded."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from backbone.reports import create_app
from backbone.reports.config import ReportsSettings
from tests.integration.reports.conftest import (
    JobTable,
    Queue,
    assert_problem,
    closed_database_url,
    closed_redis_url,
    reports_settings,
    serving,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def broker_down(migrated_database: str, tmp_path: Path) -> ReportsSettings:
    """A reachable database, a broker nothing listens at."""
    return reports_settings(
        database_url=migrated_database, redis_url=closed_redis_url(), reports_dir=tmp_path
    )


@pytest.fixture
def database_down(redis_url: str, tmp_path: Path) -> ReportsSettings:
    """A reachable broker, a database nothing listens at."""
    return reports_settings(
        database_url=closed_database_url(), redis_url=redis_url, reports_dir=tmp_path
    )


async def test_broker_down_is_503_and_no_row(
    broker_down: ReportsSettings, job_table: JobTable
) -> None:
    """The publish fails: 503 with Retry-After, and the inserted row was rolled back."""
    async with serving(create_app(broker_down)) as api:
        response = await api.post("/generate-report", json={"title": "lost?"})
    assert "broker" in assert_problem(response, 503)["detail"]
    assert response.headers["retry-after"] == str(broker_down.retry_after)
    assert await job_table.rows() == []


async def test_database_down_is_503_and_nothing_queued(
    database_down: ReportsSettings, broker_queue: Queue
) -> None:
    """The row cannot be written: 503 with Retry-After, and no message was published."""
    async with serving(create_app(database_down)) as api:
        response = await api.post("/generate-report")
    assert "database" in assert_problem(response, 503)["detail"]
    assert response.headers["retry-after"] == str(database_down.retry_after)
    assert await broker_queue.messages() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/reports"),
        ("GET", "/reports/6f1c3a52-0000-4000-8000-000000000000/status"),
        ("GET", "/reports/6f1c3a52-0000-4000-8000-000000000000"),
        ("DELETE", "/reports/6f1c3a52-0000-4000-8000-000000000000"),
    ],
)
async def test_reads_with_database_down_are_503(
    database_down: ReportsSettings, method: str, path: str
) -> None:
    """Every operation on the job table answers 503 with Retry-After while it is down."""
    async with serving(create_app(database_down)) as api:
        response = await api.request(method, path)
    assert_problem(response, 503)
    assert response.headers["retry-after"] == str(database_down.retry_after)


async def test_cancel_with_broker_down_still_cancels(
    broker_down: ReportsSettings, job_table: JobTable
) -> None:
    """Revoking is best effort: the row is cancelled (the worker checks it) even so."""
    job_id = await job_table.add("pending")
    async with serving(create_app(broker_down)) as api:
        response = await api.delete(f"/reports/{job_id}")
    assert response.status_code == 200, response.text
    assert (await job_table.row(job_id))["state"] == "cancelled"


async def test_readyz_checks_database_and_broker(
    api: httpx.AsyncClient, broker_down: ReportsSettings, database_down: ReportsSettings
) -> None:
    """/readyz is 200 with both reachable and 503 naming the one that is not."""
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    for settings, failed in ((broker_down, "broker"), (database_down, "database")):
        async with serving(create_app(settings)) as down:
            body = assert_problem(await down.get("/readyz"), 503)
        assert body["checks"][failed].startswith("failed")
        assert f"{failed} failed" in body["detail"]
