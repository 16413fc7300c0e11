"""``POST /v1/auth/token``: tokens for the right password, one answer for every wrong one,
attempts limited per account and per client before any password is checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from backbone.assistant import create_app
from backbone.assistant.bodies import FORM
from backbone.assistant.config import AssistantSettings
from tests.integration.assistant.conftest import (
    PASSWORD,
    Accounts,
    assert_problem,
    bearer,
    serving,
    sql,
)

pytestmark = pytest.mark.integration


async def test_login_answers_a_token_pair(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """Email (any case) and password: 200, a bearer pair, no-store, an access token that works."""
    user = await accounts.register("login@example.com")
    response = await api.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": " LOGIN@example.com", "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 15 * 60
    assert pair["refresh_token"]
    assert pair["access_token"].count(".") == 2
    me = await api.get("/v1/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json() == user


def _comparable(response: httpx.Response) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = response.json()
    body.pop("request_id")
    headers = {
        name: value
        for name, value in response.headers.items()
        if name not in {"x-request-id", "content-length"}
    }
    return response.status_code, body, headers


async def test_unknown_email_and_wrong_password_answer_the_same(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """No such account and a wrong password: the same 401, byte for byte but the request id."""
    await accounts.register("known@example.com")
    unknown = await api.post(
        "/v1/auth/token", data={"username": "nobody@example.com", "password": PASSWORD}
    )
    wrong = await api.post(
        "/v1/auth/token", data={"username": "known@example.com", "password": PASSWORD + "!"}
    )
    assert_problem(unknown, 401)
    assert _comparable(unknown) == _comparable(wrong)
    assert unknown.headers["www-authenticate"] == "Bearer"


async def test_login_is_limited_per_account(
    make_settings: Callable[..., AssistantSettings],
) -> None:
    """Past the account's burst, from any address, even the right password: 429, Retry-After."""
    settings = make_settings(login_account_burst=3, login_account_per_minute=1)
    app = create_app(settings)
    async with serving(app, client=("198.51.100.1", 1)) as first:
        await Accounts(first).register("target@example.com")
        for _ in range(3):
            wrong = {"username": "target@example.com", "password": "wrong password!"}
            assert (await first.post("/v1/auth/token", data=wrong)).status_code == 401
    async with serving(app, client=("198.51.100.2", 1)) as second:
        right = {"username": "TARGET@example.com", "password": PASSWORD}
        response = await second.post("/v1/auth/token", data=right)
    assert_problem(response, 429)
    assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_login_is_limited_per_client(
    make_settings: Callable[..., AssistantSettings],
) -> None:
    """Past the client's burst, whatever the account: 429 with Retry-After; others still log in."""
    settings = make_settings(login_client_burst=3, login_client_per_minute=1)
    app = create_app(settings)
    async with serving(app, client=("198.51.100.7", 1)) as sprayer:
        await Accounts(sprayer).register("victim@example.com")
        for n in range(3):
            guess = {"username": f"guess{n}@example.com", "password": PASSWORD}
            assert (await sprayer.post("/v1/auth/token", data=guess)).status_code == 401
        right = {"username": "victim@example.com", "password": PASSWORD}
        refused = await sprayer.post("/v1/auth/token", data=right)
    async with serving(app, client=("198.51.100.8", 1)) as other:
        allowed = await other.post("/v1/auth/token", data=right)
    assert_problem(refused, 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert allowed.status_code == 200


async def test_login_fails_closed_when_redis_is_down(
    make_settings: Callable[..., AssistantSettings], closed_redis_url: str
) -> None:
    """No Redis for the limiter: 503 with Retry-After, and no token (the limit is not skipped)."""
    settings = make_settings(redis_url=closed_redis_url, broker_url="redis://127.0.0.1:1/0")
    async with serving(create_app(settings)) as api:
        response = await api.post(
            "/v1/auth/token", data={"username": "any@example.com", "password": PASSWORD}
        )
    assert "rate limiter" in assert_problem(response, 503)["detail"]
    assert int(response.headers["retry-after"]) >= 1


async def test_a_hash_with_old_parameters_is_redone_at_login(
    make_settings: Callable[..., AssistantSettings], migrated_database: str
) -> None:
    """Hashed with weaker parameters, the password still logs in, and is stored rehashed."""
    async with serving(create_app(make_settings(password_time_cost=1))) as api:
        await Accounts(api).register("rehash@example.com")
    async with serving(create_app(make_settings(password_time_cost=2))) as api:
        await Accounts(api).login("rehash@example.com")
    stored = await sql(
        migrated_database,
        "fetchval",
        "SELECT password_hash FROM assistant_users WHERE email = $1",
        "rehash@example.com",
    )
    assert stored.startswith("$argon2id$")
    assert ",t=2," in stored


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"username": "a@example.com", "password": "x"}', "application/json", 415),
        (b"username=a%40example.com", FORM, 422),
        (
            b"username=a&password=b&grant_type=client_credentials",
            "application/x-www-form-urlencoded",
            422,
        ),
    ],
    ids=["json", "no-password", "other-grant"],
)
async def test_login_bodies_other_than_the_password_grant_are_refused(
    api: httpx.AsyncClient, content: bytes, content_type: str, status: int
) -> None:
    """JSON is 415; a form without a password, or for another grant, is 422."""
    response = await api.post(
        "/v1/auth/token", content=content, headers={"Content-Type": content_type}
    )
    assert_problem(response, status)
