"""``/v1/me`` and ``/v1/users``: the caller's account, its deletion, the admins' list."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from backbone.assistant import create_app
from backbone.assistant.config import AssistantSettings
from tests.integration.assistant.conftest import (
    Accounts,
    assert_problem,
    assert_unauthorized,
    bearer,
    serving,
    sql,
)

pytestmark = pytest.mark.integration


async def test_users_answers_403_for_a_user(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """A user (not an admin) asking for the user list: 403 problem+json."""
    _, pair = await accounts.new()
    assert_problem(await api.get("/v1/users", headers=bearer(pair["access_token"])), 403)


async def test_users_answers_401_without_a_token(api: httpx.AsyncClient) -> None:
    """No token: 401 before any role is looked at."""
    assert_unauthorized(await api.get("/v1/users"), token_sent=False)


async def test_users_answers_a_page_for_an_admin(
    make_settings: Callable[..., AssistantSettings],
) -> None:
    """An admin lists users newest first, paginated, with a next link."""
    settings = make_settings(admin_emails=["root@example.com"])
    async with serving(create_app(settings)) as api:
        accounts = Accounts(api)
        _, pair = await accounts.new("root@example.com")
        for n in range(3):
            await accounts.register(f"member{n}@example.com")
        admin = bearer(pair["access_token"])
        first = await api.get("/v1/users", params={"limit": 2}, headers=admin)
        rest = await api.get("/v1/users", params={"limit": 2, "offset": 2}, headers=admin)
        bad = await api.get("/v1/users", params={"limit": 0}, headers=admin)
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 0)
    assert [user["email"] for user in page["items"]] == [
        "member2@example.com",
        "member1@example.com",
    ]
    assert page["next"] == "/v1/users?limit=2&offset=2"
    assert [user["role"] for user in rest.json()["items"]] == ["user", "admin"]
    assert rest.json()["next"] is None
    assert_problem(bad, 422)


async def test_me_shows_the_callers_account(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """GET /v1/me: the account the token names, as registration showed it."""
    user, pair = await accounts.new()
    response = await api.get("/v1/me", headers=bearer(pair["access_token"]))
    assert response.json() == user


async def test_deleting_me_deletes_tokens_and_tasks(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """DELETE /v1/me: 204; the refresh token, the user's tasks and their steps are gone."""
    user, pair = await accounts.new()
    _, other = await accounts.new()
    owner = uuid.UUID(user["user_id"])
    task_id = uuid.uuid4()
    await sql(
        migrated_database,
        "execute",
        "INSERT INTO assistant_tasks (id, owner_id, state, progress, attempts, created_at,"
        " enqueued_at, type, input) VALUES ($1, $2, 'pending', 0, 0, now(), now(),"
        " 'analysis', '{}'::jsonb)",
        task_id,
        owner,
    )
    await sql(
        migrated_database,
        "execute",
        "INSERT INTO assistant_task_steps (job_id, seq, attempt, agent, started_at)"
        " VALUES ($1, 1, 1, 'analyst', now())",
        task_id,
    )
    response = await api.delete("/v1/me", headers=bearer(pair["access_token"]))
    assert response.status_code == 204
    refreshed = await api.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert_unauthorized(refreshed)
    counts = await sql(
        migrated_database,
        "fetchrow",
        "SELECT (SELECT count(*) FROM assistant_tasks) AS tasks,"
        " (SELECT count(*) FROM assistant_task_steps) AS steps,"
        " (SELECT count(*) FROM assistant_users) AS users",
    )
    assert dict(counts) == {"tasks": 0, "steps": 0, "users": 1}
    assert (await api.get("/v1/me", headers=bearer(other["access_token"]))).status_code == 200


async def test_an_unreachable_database_answers_503(
    make_settings: Callable[..., AssistantSettings], closed_database_url: str
) -> None:
    """PostgreSQL down: registration and /v1/me answer 503 with Retry-After, not 500."""
    settings = make_settings(database_url=closed_database_url, database_timeout=1)
    app = create_app(settings)
    token = app.state.auth.tokens.issue(uuid.uuid4(), "user")
    async with serving(app) as api:
        registered = await api.post(
            "/v1/auth/register", json={"email": "down@example.com", "password": "long enough pw"}
        )
        me = await api.get("/v1/me", headers=bearer(token))
    for response in (registered, me):
        assert_problem(response, 503)
        assert response.headers["retry-after"] == str(settings.retry_after)
