"""What the contract run (schemathesis against the live assistant) found, pinned down."""

from __future__ import annotations

import uuid

import httpx
import pytest

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
