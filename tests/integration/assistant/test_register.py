"""``POST /v1/auth/register``: accounts made, duplicates and bad passwords refused."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from backbone.assistant import create_app
from backbone.assistant.config import AssistantSettings
from tests.integration.assistant.conftest import PASSWORD, assert_problem, serving

pytestmark = pytest.mark.integration


async def test_register_answers_201_with_the_account(api: httpx.AsyncClient) -> None:
    """A new account: 201, Location /v1/me, the normalised email, the user role, no hash."""
    response = await api.post(
        "/v1/auth/register", json={"email": "  Ada@Example.COM ", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/me"
    body = response.json()
    assert set(body) == {"user_id", "email", "role", "created_at"}
    assert (body["email"], body["role"]) == ("ada@example.com", "user")


async def test_a_registered_email_answers_409(api: httpx.AsyncClient) -> None:
    """The same email again, in another case: 409 problem+json."""
    body = {"email": "grace@example.com", "password": PASSWORD}
    assert (await api.post("/v1/auth/register", json=body)).status_code == 201
    again = await api.post("/v1/auth/register", json={**body, "email": "GRACE@example.com"})
    assert_problem(again, 409)


async def test_a_short_password_answers_422(api: httpx.AsyncClient) -> None:
    """Eleven characters are too few: 422, nothing made."""
    response = await api.post(
        "/v1/auth/register", json={"email": "short@example.com", "password": "x" * 11}
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["loc"] == ["body", "password"]


async def test_a_password_equal_to_the_email_answers_422(api: httpx.AsyncClient) -> None:
    """The email as password (in another case) is refused with 422."""
    response = await api.post(
        "/v1/auth/register",
        json={"email": "same.as.email@example.com", "password": "SAME.AS.EMAIL@example.com"},
    )
    assert_problem(response, 422)


@pytest.mark.parametrize(
    "email", ["not-an-email", "two@@example.com", "a b@example.com", "x@localhost", "x@-bad.com"]
)
async def test_an_invalid_email_answers_422(api: httpx.AsyncClient, email: str) -> None:
    """Addresses that are not emails are refused with 422."""
    response = await api.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert_problem(response, 422)


async def test_unknown_members_answer_422(api: httpx.AsyncClient) -> None:
    """A member the contract does not name (``role``) is refused, not ignored."""
    body = {"email": "member@example.com", "password": PASSWORD, "role": "admin"}
    assert_problem(await api.post("/v1/auth/register", json=body), 422)


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"email": "x@example.com"', "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"email=x%40example.com", "application/x-www-form-urlencoded", 415),
        (b'{"email": "x@example.com", "password": "p"}', "text/plain", 415),
    ],
    ids=["bad-json", "not-utf8", "form", "text"],
)
async def test_bodies_that_do_not_decode_or_are_not_json_are_refused(
    api: httpx.AsyncClient, content: bytes, content_type: str, status: int
) -> None:
    """A body that does not decode is 400; one of another media type is 415."""
    response = await api.post(
        "/v1/auth/register", content=content, headers={"Content-Type": content_type}
    )
    assert_problem(response, status)


async def test_an_admin_email_registers_as_admin(
    make_settings: Callable[..., AssistantSettings],
) -> None:
    """An email listed in ``admin_emails`` gets the admin role; others the user role."""
    settings = make_settings(admin_emails="Boss@Example.com")
    async with serving(create_app(settings)) as api:
        boss = await api.post(
            "/v1/auth/register", json={"email": "boss@example.com", "password": PASSWORD}
        )
        other = await api.post(
            "/v1/auth/register", json={"email": "staff@example.com", "password": PASSWORD}
        )
    assert (boss.json()["role"], other.json()["role"]) == ("admin", "user")


async def test_registrations_are_limited_per_client(
    make_settings: Callable[..., AssistantSettings],
) -> None:
    """Past the per-client registration burst: 429 with Retry-After."""
    settings = make_settings(register_client_burst=2, register_client_per_minute=1)
    async with serving(create_app(settings)) as api:
        for n in range(2):
            body = {"email": f"r{n}@example.com", "password": PASSWORD}
            assert (await api.post("/v1/auth/register", json=body)).status_code == 201
        body = {"email": "r2@example.com", "password": PASSWORD}
        response = await api.post("/v1/auth/register", json=body)
    assert_problem(response, 429)
    assert int(response.headers["retry-after"]) >= 1
