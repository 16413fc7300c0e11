"""Conditional requests on users: ETag, If-None-Match (304) and If-Match (412)."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.mocks.conftest import assert_problem


async def test_if_none_match_answers_304(users: httpx.AsyncClient) -> None:
    """The current tag (strong, weak, in a list) or * is a 304 with the tag and no body."""
    etag = (await users.get("/users/123")).headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = await users.get("/users/123", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag


async def test_stale_if_none_match_answers_200(users: httpx.AsyncClient) -> None:
    """A tag that no longer matches gets the full user again."""
    response = await users.get("/users/123", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert response.json()["name"] == "John Doe"


async def test_if_none_match_on_unknown_user_is_404(users: httpx.AsyncClient) -> None:
    """If-None-Match: * does not hide that the user does not exist."""
    assert_problem(await users.get("/users/999", headers={"If-None-Match": "*"}), 404)


@pytest.mark.parametrize(
    ("method", "body"), [("PUT", {"name": "X"}), ("PATCH", {"name": "X"}), ("DELETE", None)]
)
async def test_stale_if_match_is_412_and_changes_nothing(
    users: httpx.AsyncClient, method: str, body: object
) -> None:
    """A write whose If-Match does not match (or is weak) is 412; the user is untouched."""
    before = await users.get("/users/123")
    for tag in ('"stale"', f"W/{before.headers['etag']}", ""):
        response = await users.request(method, "/users/123", json=body, headers={"If-Match": tag})
        assert_problem(response, 412)
    after = await users.get("/users/123")
    assert (after.json(), after.headers["etag"]) == (before.json(), before.headers["etag"])


@pytest.mark.parametrize(
    ("method", "body", "status"),
    [("PUT", {"name": "X"}, 200), ("PATCH", {"name": "X"}, 200), ("DELETE", None, 204)],
)
async def test_matching_if_match_writes(
    users: httpx.AsyncClient, method: str, body: object, status: int
) -> None:
    """If-Match with the current tag, the tag in a list, or * lets the write through."""
    for form in ("{}", '"other", {}', "*"):
        created = await users.post("/users", json={"name": "Y"})
        tag = form.format(created.headers["etag"])
        location = created.headers["location"]
        response = await users.request(method, location, json=body, headers={"If-Match": tag})
        assert response.status_code == status, tag


async def test_if_match_star_on_unknown_user_is_404(users: httpx.AsyncClient) -> None:
    """If-Match: * matches existing users only; an unknown id stays a 404."""
    assert_problem(
        await users.put("/users/999", json={"name": "X"}, headers={"If-Match": "*"}), 404
    )
