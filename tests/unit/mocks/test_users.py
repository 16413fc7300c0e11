"""The User Service's user resource behaves as contracts/openapi/users.yaml says.

Conditional requests are in test_users_conditional.py; the proxy fixtures
(/users/export.ndjson, stats, slow, session) in test_users_fixtures.py.
"""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from fastapi import FastAPI

from backbone.mocks.users import create_app
from backbone.mocks.users.config import UsersSettings, get_settings
from tests.unit.mocks.conftest import BODY_LIMIT, assert_problem

ETAG = re.compile(r'^"[\x21\x23-\x7e]*"$')
SEEDED_IDS = [123, 124, 125]
JSON = {"content-type": "application/json"}


async def _ids(users: httpx.AsyncClient, **params: object) -> list[int]:
    page = (await users.get("/users", params={"limit": 100, **params})).json()
    return [user["user_id"] for user in page["items"]]


async def test_john_doe_is_seeded(users: httpx.AsyncClient) -> None:
    """GET /users/123 is John Doe, with every field and a strong ETag."""
    response = await users.get("/users/123")
    assert response.status_code == 200
    assert response.json() == {
        "user_id": 123,
        "name": "John Doe",
        "email": "john.doe@example.com",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    assert ETAG.fullmatch(response.headers["etag"])


async def test_unknown_user_is_404(users: httpx.AsyncClient) -> None:
    """An id no user has is a 404 problem naming it."""
    body = assert_problem(await users.get("/users/999"), 404)
    assert body["detail"] == "No user has id 999."
    assert body["instance"] == "/users/999"


@pytest.mark.parametrize("user_id", ["0", "-1", "abc", "1.5", "2147483648", "%20"])
async def test_invalid_user_id_is_422(users: httpx.AsyncClient, user_id: str) -> None:
    """An id outside 1..2^31-1, or not an integer, is a 422 on the path."""
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        body = assert_problem(await users.request(method, f"/users/{user_id}", json={}), 422)
        assert body["errors"][0]["loc"] == ["path", "user_id"]


async def test_list_is_ascending_and_complete(users: httpx.AsyncClient) -> None:
    """The default page holds every seeded user in ascending id order, and no next page."""
    page = (await users.get("/users")).json()
    assert [u["user_id"] for u in page["items"]] == SEEDED_IDS
    assert (page["total"], page["limit"], page["offset"], page["next"]) == (3, 20, 0, None)


async def test_pages_follow_next_links(users: httpx.AsyncClient) -> None:
    """limit=1 serves one user a page; following next visits every user exactly once."""
    seen, url = [], "/users?limit=1"
    while url is not None:
        page = (await users.get(url)).json()
        assert page["total"] == 3
        seen += [u["user_id"] for u in page["items"]]
        url = page["next"]
    assert seen == SEEDED_IDS
    first = (await users.get("/users", params={"limit": 1})).json()
    assert first["next"] == "/users?limit=1&offset=1"


async def test_offset_past_the_end_is_an_empty_page(users: httpx.AsyncClient) -> None:
    """An offset past the last user is an empty 200 page, not an error."""
    page = (await users.get("/users", params={"offset": 1_000_000})).json()
    assert (page["items"], page["total"], page["next"]) == ([], 3, None)


async def test_name_filter_is_case_insensitive_and_kept_in_next(users: httpx.AsyncClient) -> None:
    """name matches a substring in any case; next carries the filter on."""
    assert await _ids(users, name="DOE") == [123]
    assert await _ids(users, name="o") == [123, 124]
    assert await _ids(users, name="nobody") == []
    page = (await users.get("/users", params={"name": "O", "limit": 1})).json()
    assert (page["total"], page["next"]) == (2, "/users?name=O&limit=1&offset=1")


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": -1},
        {"offset": 1_000_001},
        {"name": ""},
        {"name": "x" * 101},
    ],
)
async def test_invalid_list_parameters_are_422(
    users: httpx.AsyncClient, params: dict[str, object]
) -> None:
    """limit 1..100, offset 0..1,000,000 and a name of 1..100 characters, or a 422."""
    body = assert_problem(await users.get("/users", params=params), 422)
    assert body["errors"][0]["loc"][0] == "query"


async def test_create_returns_location_etag_and_user(users: httpx.AsyncClient) -> None:
    """POST /users is a 201 with Location, ETag and the user; the user can then be read."""
    response = await users.post("/users", json={"name": "Ada", "email": "ada@example.org"})
    assert response.status_code == 201
    user = response.json()
    assert user["user_id"] > max(SEEDED_IDS)
    assert (user["name"], user["email"]) == ("Ada", "ada@example.org")
    assert user["created_at"] == user["updated_at"]
    assert response.headers["location"] == f"/users/{user['user_id']}"
    read = await users.get(response.headers["location"])
    assert read.json() == user
    assert read.headers["etag"] == response.headers["etag"]


@pytest.mark.parametrize("body", [{"name": "Ada"}, {"name": "Ada", "email": None}])
async def test_email_is_optional(users: httpx.AsyncClient, body: dict[str, object]) -> None:
    """A user without an email (absent or null) is stored with email null."""
    response = await users.post("/users", json=body)
    assert response.status_code == 201
    assert response.json()["email"] is None


async def test_ids_are_never_reused(users: httpx.AsyncClient) -> None:
    """After the newest user is deleted, the next one still gets a greater id."""
    first = (await users.post("/users", json={"name": "A"})).json()["user_id"]
    assert (await users.delete(f"/users/{first}")).status_code == 204
    second = (await users.post("/users", json={"name": "B"})).json()["user_id"]
    assert second > first
    assert (await users.get(f"/users/{first}")).status_code == 404


async def test_concurrent_creates_get_distinct_ids(users: httpx.AsyncClient) -> None:
    """Twenty creates at once: twenty different users, all listed."""
    responses = await asyncio.gather(
        *(users.post("/users", json={"name": f"U{n}"}) for n in range(20))
    )
    ids = {r.json()["user_id"] for r in responses}
    assert len(ids) == 20
    assert (await users.get("/users")).json()["total"] == 23


INVALID_USERS = [
    {},
    {"name": ""},
    {"name": "x" * 101},
    {"name": 5},
    {"name": None},
    {"name": "\ud800"},
    {"name": "A", "email": "not-an-email"},
    {"name": "A", "email": "a@b.c"},
    {"name": "A", "email": "a" * 250 + "@example.com"},
    {"name": "A", "email": 1},
    {"name": "A", "user_id": 7},
    {"name": "A", "created_at": "2026-01-01T00:00:00Z"},
    [],
    "Ada",
    None,
]


@pytest.mark.parametrize("body", INVALID_USERS)
async def test_invalid_create_is_422_and_stores_nothing(
    users: httpx.AsyncClient, body: object
) -> None:
    """Bodies outside UserCreate (unknown members included) are 422 and create no user."""
    response = await users.post("/users", content=json.dumps(body), headers=JSON)
    assert_problem(response, 422)
    assert (await users.get("/users")).json()["total"] == 3


async def test_json_that_does_not_parse_is_422(users: httpx.AsyncClient) -> None:
    """A body that is not JSON at all, though declared so, is a 422."""
    assert_problem(await users.post("/users", content=b'{"name": ', headers=JSON), 422)


@pytest.mark.parametrize(
    "body", [b"\xff\xfe\x00", '{"name": "Ada"}'.encode("utf-16"), b'{"name": "\xe9"}']
)
async def test_body_that_is_not_utf8_is_400(users: httpx.AsyncClient, body: bytes) -> None:
    """JSON that is not UTF-8 (broken bytes, UTF-16, Latin-1) is a 400 problem."""
    assert_problem(await users.post("/users", content=body, headers=JSON), 400)
    assert (await users.get("/users")).json()["total"] == 3


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
async def test_create_needs_json(users: httpx.AsyncClient, content_type: str | None) -> None:
    """POST with any other media type is 415, naming application/json in Accept-Post."""
    headers = {"content-type": content_type} if content_type else {}
    response = await users.post("/users", content=b'{"name": "A"}', headers=headers)
    assert_problem(response, 415)
    assert response.headers["accept-post"] == "application/json"


async def test_json_with_charset_is_accepted(users: httpx.AsyncClient) -> None:
    """application/json; charset=utf-8 is JSON."""
    headers = {"content-type": "Application/JSON; charset=utf-8"}
    response = await users.post("/users", content=b'{"name": "A"}', headers=headers)
    assert response.status_code == 201


async def test_body_over_the_limit_is_413(users: httpx.AsyncClient) -> None:
    """A body over the limit, declared or streamed, is 413 and creates nothing."""
    big = json.dumps({"name": "x" * BODY_LIMIT}).encode()
    assert_problem(await users.post("/users", content=big, headers=JSON), 413)

    async def chunks() -> object:
        for _ in range(BODY_LIMIT // 100 + 2):
            yield b" " * 100

    response = await users.post("/users", content=chunks(), headers=JSON)  # type: ignore[arg-type]
    assert_problem(response, 413)
    assert (await users.get("/users")).json()["total"] == 3


async def test_put_replaces_every_field(users: httpx.AsyncClient) -> None:
    """PUT sets the name and, left out, email becomes null; the ETag and updated_at change."""
    before = await users.get("/users/123")
    response = await users.put("/users/123", json={"name": "Johnny"})
    assert response.status_code == 200
    user = response.json()
    assert (user["name"], user["email"]) == ("Johnny", None)
    assert user["created_at"] == before.json()["created_at"]
    assert user["updated_at"] > before.json()["updated_at"]
    assert response.headers["etag"] != before.headers["etag"]
    assert (await users.get("/users/123")).json() == user


async def test_put_never_creates(users: httpx.AsyncClient) -> None:
    """PUT to an id no user has is a 404, and no user appears."""
    assert_problem(await users.put("/users/999", json={"name": "X"}), 404)
    assert (await users.get("/users/999")).status_code == 404


async def test_identical_put_changes_nothing(users: httpx.AsyncClient) -> None:
    """PUT of the current values keeps updated_at and the ETag."""
    before = await users.get("/users/123")
    body = {"name": "John Doe", "email": "john.doe@example.com"}
    after = await users.put("/users/123", json=body)
    assert after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]


@pytest.mark.parametrize("body", INVALID_USERS)
async def test_invalid_put_is_422(users: httpx.AsyncClient, body: object) -> None:
    """PUT validates like POST and leaves the user as it was."""
    before = (await users.get("/users/123")).json()
    assert_problem(await users.put("/users/123", content=json.dumps(body), headers=JSON), 422)
    assert (await users.get("/users/123")).json() == before


@pytest.mark.parametrize(
    ("patch", "name", "email"),
    [
        ({"name": "J. Doe"}, "J. Doe", "john.doe@example.com"),
        ({"email": "jd@example.net"}, "John Doe", "jd@example.net"),
        ({"email": None}, "John Doe", None),
        ({"name": "X", "email": None}, "X", None),
    ],
)
async def test_patch_merges(
    users: httpx.AsyncClient, patch: dict[str, object], name: str, email: str | None
) -> None:
    """Members present are set, members absent kept, email null removes the email."""
    headers = {"content-type": "application/merge-patch+json"}
    response = await users.patch("/users/123", content=json.dumps(patch), headers=headers)
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["email"]) == (name, email)
    assert response.headers["etag"] == (await users.get("/users/123")).headers["etag"]


async def test_empty_patch_changes_nothing(users: httpx.AsyncClient) -> None:
    """{} (as plain application/json too) keeps the user, its updated_at and its ETag."""
    before = await users.get("/users/123")
    after = await users.patch("/users/123", json={})
    assert after.status_code == 200
    assert after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]


@pytest.mark.parametrize(
    "patch", [{"name": None}, {"name": ""}, {"email": "nope"}, {"nickname": "J"}, [], None]
)
async def test_invalid_patch_is_422(users: httpx.AsyncClient, patch: object) -> None:
    """name cannot be removed; unknown members and non-objects are refused; nothing changes."""
    before = (await users.get("/users/123")).json()
    headers = {"content-type": "application/merge-patch+json"}
    assert_problem(await users.patch("/users/123", content=json.dumps(patch), headers=headers), 422)
    assert (await users.get("/users/123")).json() == before


async def test_patch_needs_a_json_media_type(users: httpx.AsyncClient) -> None:
    """PATCH with text/plain is 415, naming both media types in Accept-Patch."""
    response = await users.patch(
        "/users/123", content=b"{}", headers={"content-type": "text/plain"}
    )
    assert_problem(response, 415)
    assert response.headers["accept-patch"] == "application/merge-patch+json, application/json"


async def test_patch_unknown_user_is_404(users: httpx.AsyncClient) -> None:
    """PATCH of an id no user has is a 404."""
    assert_problem(await users.patch("/users/999", json={"name": "X"}), 404)


async def test_delete_then_404(users: httpx.AsyncClient) -> None:
    """DELETE is a 204 without a body; the id then answers 404, a second DELETE too."""
    response = await users.delete("/users/124")
    assert (response.status_code, response.content) == (204, b"")
    assert_problem(await users.get("/users/124"), 404)
    assert_problem(await users.delete("/users/124"), 404)
    assert await _ids(users) == [123, 125]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/users/stats"),
        ("DELETE", "/users/session"),
        ("PATCH", "/users/slow"),
        ("DELETE", "/users/export.ndjson"),
        ("OPTIONS", "/users/stats"),
    ],
)
async def test_fixture_paths_are_not_user_ids(
    users: httpx.AsyncClient, method: str, path: str
) -> None:
    """The fixtures' literal paths take precedence: other methods are 405 Allow: GET."""
    response = await users.request(method, path)
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET"


async def test_unsupported_method_lists_the_allowed_ones(users: httpx.AsyncClient) -> None:
    """POST /users/123 is 405 with every method the user resource serves."""
    response = await users.post("/users/123", json={})
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, PUT, PATCH, DELETE"


async def test_request_id_is_kept_or_made(users: httpx.AsyncClient) -> None:
    """A valid X-Request-ID comes back (in errors too); an invalid or missing one is replaced."""
    response = await users.get("/users/999", headers={"X-Request-ID": "req-1"})
    assert response.headers["x-request-id"] == "req-1"
    assert response.json()["request_id"] == "req-1"
    invalid = await users.get("/users/123", headers={"X-Request-ID": "bad id!"})
    assert re.fullmatch(r"[0-9a-f]{32}", invalid.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", (await users.get("/users")).headers["x-request-id"])


async def test_operations_endpoints(users: httpx.AsyncClient) -> None:
    """/healthz, /readyz and /metrics are served, metrics by route template."""
    assert (await users.get("/healthz")).json() == {"status": "ok"}
    assert (await users.get("/readyz")).status_code == 200
    await users.get("/users/123")
    metrics = (await users.get("/metrics")).text
    assert 'route="/users/{user_id}",status="200"' in metrics


async def test_apps_do_not_share_users(users: httpx.AsyncClient, users_app: FastAPI) -> None:
    """Each app starts from the seed alone: another app never sees this one's writes."""
    await users.delete("/users/123")
    other = create_app(UsersSettings(_env_file=None))  # type: ignore[call-arg]
    transport = httpx.ASGITransport(app=other)
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
        assert (await client.get("/users/123")).status_code == 200
    assert other.state.store is not users_app.state.store


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """BACKBONE_USERS_* variables bound the fixtures; create_app() reads them."""
    monkeypatch.setenv("BACKBONE_USERS_MAX_DELAY_SECONDS", "2.5")
    monkeypatch.setenv("BACKBONE_USERS_MAX_EXPORT_PAUSE_SECONDS", "0.05")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert (settings.max_delay_seconds, settings.max_export_pause_seconds) == (2.5, 0.05)
        assert create_app().state.settings is settings
    finally:
        get_settings.cache_clear()
