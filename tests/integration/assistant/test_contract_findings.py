"""What the contract run (schemathesis against the live assistant) found, pinned down."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.integration.assistant._tasks import SALES_CSV, submit
from tests.integration.assistant.conftest import Accounts, assert_problem, bearer

pytestmark = pytest.mark.integration


async def test_events_of_an_unknown_task_are_a_404(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """The event stream of an unknown task id answers 404 before any stream starts."""
    _, tokens = await accounts.new()
    response = await api.get(
        f"/v1/tasks/{uuid.uuid4()}/events", headers=bearer(tokens["access_token"])
    )
    assert_problem(response, 404)


async def test_a_username_with_a_nul_is_an_unknown_email(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """A login whose username holds a NUL (which no stored email can) is a 401, not a 500."""
    response = await api.post(
        "/v1/auth/token", data={"username": "a\x00@example.com", "password": "whatever"}
    )
    assert_problem(response, 401)


async def test_a_dataset_name_with_a_nul(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """A dataset name holding a NUL is refused (422), not a 500."""
    _, tokens = await accounts.new()
    response = await api.post(
        "/v1/datasets",
        files={"file": ("sales.csv", SALES_CSV.encode(), "text/csv")},
        data={"name": "a\x00b"},
        headers=bearer(tokens["access_token"]),
    )
    assert_problem(response, 422)


async def test_a_question_with_a_nul(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """A task input holding a NUL is refused (422), not a 500."""
    _, tokens = await accounts.new()
    response = await submit(
        api, tokens["access_token"], {"source": "orders", "question": "why\x00?"}
    )
    assert_problem(response, 422)
