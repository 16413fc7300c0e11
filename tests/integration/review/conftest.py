"""Fixtures of the review API's integration tests: a migrated database of the test's own,
a Redis db of its own as broker, the app in-process with its lifespan, deliveries signed
as GitHub signs them, and direct reads of the review table and the queue."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from backbone.core.db import migrate
from backbone.review import create_app
from backbone.review.config import ReviewSettings
from backbone.review.migrations import VERSIONS
from backbone.review.webhook import sign
from tests.integration.reports.conftest import Queue, serving

QUEUE = "review-test"
SECRET = "webhook-secret-of-the-tests"
TOKEN = "review-api-token-of-the-tests"
REPO = "octo-org/hello-world"


def review_settings(**overrides: Any) -> ReviewSettings:
    """Settings that ignore the environment's .env, with ``overrides``."""
    values: dict[str, Any] = {"queue": QUEUE, "webhook_secret": SECRET, "api_token": TOKEN}
    return ReviewSettings(_env_file=None, **{**values, **overrides})  # type: ignore[call-arg]


def pull_request_body(
    action: str = "opened",
    *,
    head: str = "a" * 40,
    number: int = 7,
    updated_at: str = "2026-12-06T10:00:00Z",
    sender: dict[str, str] | None = None,
    **pull: Any,
) -> dict[str, Any]:
    """A pull_request delivery's body, GitHub's shape (the members a review reads)."""
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "title": "Add a greeting module",
            "state": "open",
            "draft": False,
            "updated_at": updated_at,
            "head": {"sha": head, "ref": "greeting"},
            "base": {"sha": "b" * 40, "ref": "main"},
            "user": {"login": "octocat", "type": "User"},
            **pull,
        },
        "repository": {"full_name": REPO},
        "sender": sender or {"login": "octocat", "type": "User"},
        "installation": {"id": 42},
    }


_deliveries = itertools.count(1)


def new_delivery() -> str:
    """A fresh GUID-like delivery id."""
    return str(uuid.uuid4())


class GitHub:
    """Sends deliveries to the app as GitHub does: signed, with event and delivery headers."""

    def __init__(self, client: httpx.AsyncClient, secret: str = SECRET) -> None:
        self.client = client
        self.secret = secret.encode()

    async def deliver(
        self,
        body: dict[str, Any] | bytes,
        *,
        event: str = "pull_request",
        delivery: str | None = None,
        signature: str | None = "sign",
        content_type: str = "application/json",
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {
            "Content-Type": content_type,
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or new_delivery(),
            "User-Agent": "GitHub-Hookshot/test",
        }
        if signature == "sign":
            headers["X-Hub-Signature-256"] = sign(self.secret, raw)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return await self.client.post("/webhooks/github", content=raw, headers=headers)


class ReviewTable:
    """The review table, read directly."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url

    async def rows(self) -> list[dict[str, Any]]:
        """Every row, oldest first."""
        connection = await asyncpg.connect(self.url)
        try:
            rows = await connection.fetch("SELECT * FROM review_jobs ORDER BY created_at")
        finally:
            await connection.close()
        return [dict(row) for row in rows]


@pytest.fixture
def migrated_database(database_url: str) -> str:
    """The test's own database, migrated to the newest review table."""
    migrate(database_url, locations=[VERSIONS])
    return database_url


@pytest.fixture
def settings(migrated_database: str, redis_url: str) -> ReviewSettings:
    """Settings pointing at the test's database and Redis db."""
    return review_settings(database_url=migrated_database, redis_url=redis_url)


@pytest.fixture
async def api(settings: ReviewSettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the review API built from ``settings``."""
    async with serving(create_app(settings)) as client:
        yield client


@pytest.fixture
def github(api: httpx.AsyncClient) -> GitHub:
    """Signed deliveries to the API."""
    return GitHub(api)


@pytest.fixture
def reviews(migrated_database: str) -> ReviewTable:
    """The test's review table."""
    return ReviewTable(migrated_database)


@pytest.fixture
def queue(redis_url: str) -> Queue:
    """The test's review queue."""
    return Queue(redis_url, QUEUE)
