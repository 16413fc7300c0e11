"""Fixtures of the report API's integration tests (named ``api*``, ``job_table``,
``broker_queue`` so as not to shadow the worker tests' own): a migrated database of the test's own,
a Redis db of its own as broker, the app in-process with its lifespan, and direct access
to the job table and the queue (the worker is someone else's: tests set rows themselves)."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis

from backbone.core import PROBLEM_MEDIA_TYPE
from backbone.reports import create_app
from backbone.reports.config import ReportsSettings
from tests.integration.gateway._servers import closed_port_url
from tests.integration.reports._harness import migrate_reports

QUEUE = "reports-test"


def reports_settings(**overrides: Any) -> ReportsSettings:
    """Settings that ignore the environment's .env, with ``overrides``."""
    return ReportsSettings(_env_file=None, queue=QUEUE, **overrides)  # type: ignore[call-arg]


def closed_redis_url() -> str:
    """A Redis URL nothing listens at."""
    return closed_port_url().replace("http://", "redis://") + "/0"


def closed_database_url() -> str:
    """A PostgreSQL URL nothing listens at."""
    return closed_port_url().replace("http://", "postgresql://postgres@") + "/none"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert ``response`` is a problem+json of ``status``; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of ``app``, its lifespan run around it."""
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reports") as client:
            yield client


@pytest.fixture
def migrated_database(database_url: str) -> str:
    """The test's own database, migrated to the newest revision."""
    migrate_reports(database_url)
    return database_url


@pytest.fixture
def api_settings(migrated_database: str, redis_url: str, tmp_path: Path) -> ReportsSettings:
    """Settings pointing at the test's database and Redis db, reports under tmp_path."""
    return reports_settings(
        database_url=migrated_database, redis_url=redis_url, reports_dir=tmp_path / "reports"
    )


@pytest.fixture
async def api(api_settings: ReportsSettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the report API built from ``api_settings``."""
    async with serving(create_app(api_settings)) as c:
        yield c


class JobTable:
    """The job table, read and written directly (as the worker would)."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url

    async def _run(self, method: str, sql: str, *args: Any) -> Any:
        connection = await asyncpg.connect(self.url)
        try:
            return await getattr(connection, method)(sql, *args)
        finally:
            await connection.close()

    async def rows(self) -> list[dict[str, Any]]:
        """Every row, oldest first."""
        rows = await self._run("fetch", "SELECT * FROM report_jobs ORDER BY created_at")
        return [dict(row) for row in rows]

    async def row(self, job_id: uuid.UUID | str) -> dict[str, Any]:
        """The row of ``job_id``."""
        row = await self._run("fetchrow", "SELECT * FROM report_jobs WHERE id = $1", str(job_id))
        assert row is not None, job_id
        return dict(row)

    async def add(self, state: str = "pending", **fields: Any) -> uuid.UUID:
        """Insert a job in ``state`` (``created_at`` and ``fields`` as given)."""
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "title": "Report",
            "state": state,
            "progress": 0,
            "attempts": 0,
            "created_at": now,
            "enqueued_at": now,
            **fields,
        }
        names = ", ".join(values)  # column names: the test's own keywords
        marks = ", ".join(f"${n}" for n in range(1, len(values) + 1))
        sql = f"INSERT INTO report_jobs ({names}) VALUES ({marks})"  # noqa: S608
        await self._run("execute", sql, *values.values())
        job_id: uuid.UUID = values["id"]
        return job_id

    async def set(self, job_id: uuid.UUID | str, **fields: Any) -> None:
        """Update the row of ``job_id``."""
        assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(fields, start=2))
        sql = f"UPDATE report_jobs SET {assignments} WHERE id = $1"  # noqa: S608
        await self._run("execute", sql, str(job_id), *fields.values())


@pytest.fixture
def job_table(migrated_database: str) -> JobTable:
    """The test's job table."""
    return JobTable(migrated_database)


class Queue:
    """The broker's list for the reports queue, read directly from Redis."""

    def __init__(self, redis_url: str, name: str = QUEUE) -> None:
        self.url = redis_url
        self.name = name

    async def messages(self) -> list[dict[str, Any]]:
        """The messages waiting, oldest first (kombu pushes on the left)."""
        client = Redis.from_url(self.url)
        try:
            raw = await client.lrange(self.name, 0, -1)
        finally:
            await client.aclose()
        return [json.loads(item) for item in reversed(raw)]

    async def job_ids(self) -> list[str]:
        """The job id of each waiting message (Celery's task id)."""
        return [message["headers"]["id"] for message in await self.messages()]


@pytest.fixture
def broker_queue(redis_url: str) -> Queue:
    """The test's queue."""
    return Queue(redis_url)
