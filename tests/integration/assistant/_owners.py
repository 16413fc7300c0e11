"""Helpers of the dataset, task and ownership tests: a user's token, rows counted in the
test's database, and problem bodies compared without what differs per request."""

from __future__ import annotations

import json
from typing import Any

import httpx

from backbone.assistant.config import AssistantSettings
from tests.integration.assistant.conftest import Accounts, sql

DATASETS_TABLE = "assistant_datasets"
TASKS_TABLE = "assistant_tasks"


async def a_token(accounts: Accounts, email: str | None = None) -> str:
    """The access token of a new, logged-in account."""
    _, tokens = await accounts.new(email)
    token: str = tokens["access_token"]
    return token


def database_of(settings: AssistantSettings) -> str:
    """The settings' database URL, as text."""
    assert settings.database_url is not None
    return settings.database_url.get_secret_value()


async def count_rows(database_url: str, table: str) -> int:
    """How many rows ``table`` holds (a table name of this module, never user input)."""
    count: int = await sql(database_url, "fetchval", f"SELECT count(*) FROM {table}")  # noqa: S608
    return count


def comparable(response: httpx.Response, *ids: str) -> dict[str, Any]:
    """The problem body without what differs per request (``instance``, ``request_id``),
    each of ``ids`` in the text replaced by ``{id}``."""
    text = response.text
    for value in ids:
        text = text.replace(value, "{id}")
    body: dict[str, Any] = json.loads(text)
    body.pop("instance", None)
    body.pop("request_id", None)
    return body
