"""Refresh tokens: single use, rotated in one transaction; a reused one revokes its family;
logout revokes the caller's family only."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.integration.assistant.conftest import Accounts, assert_unauthorized, bearer, sql

pytestmark = pytest.mark.integration


async def _refresh(api: httpx.AsyncClient, token: str) -> httpx.Response:
    return await api.post("/v1/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates_the_pair(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """A refresh token gives a new pair (no-store); the new access token works."""
    _, pair = await accounts.new()
    response = await _refresh(api, pair["refresh_token"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    rotated = response.json()
    assert rotated["refresh_token"] != pair["refresh_token"]
    assert rotated["access_token"] != pair["access_token"]
    assert (await api.get("/v1/me", headers=bearer(rotated["access_token"]))).status_code == 200
    assert (await _refresh(api, rotated["refresh_token"])).status_code == 200


async def test_a_reused_refresh_token_revokes_its_family(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """The spent token presented again: 401, and the newer token of its family stops working."""
    _, pair = await accounts.new()
    newer = (await _refresh(api, pair["refresh_token"])).json()["refresh_token"]
    assert_unauthorized(await _refresh(api, pair["refresh_token"]))
    assert_unauthorized(await _refresh(api, newer))


async def test_concurrent_refreshes_of_one_token_rotate_once(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """The same token twice at once: one rotation at most, and the family ends revoked."""
    _, pair = await accounts.new()
    first, second = await asyncio.gather(
        _refresh(api, pair["refresh_token"]), _refresh(api, pair["refresh_token"])
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 401]
    winner = first if first.status_code == 200 else second
    assert_unauthorized(await _refresh(api, winner.json()["refresh_token"]))


async def test_other_families_survive_a_revocation(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """Two logins are two families: revoking one leaves the other working."""
    user, first = await accounts.new()
    second = await accounts.login(user["email"])
    await _refresh(api, first["refresh_token"])
    assert_unauthorized(await _refresh(api, first["refresh_token"]))
    assert (await _refresh(api, second["refresh_token"])).status_code == 200


async def test_an_unknown_refresh_token_answers_401(api: httpx.AsyncClient) -> None:
    """A token never issued: 401."""
    assert_unauthorized(await _refresh(api, "never-issued-" + "x" * 30))


async def test_an_expired_refresh_token_answers_401(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """A refresh token past its expiry: 401."""
    _, pair = await accounts.new()
    await sql(
        migrated_database,
        "execute",
        "UPDATE assistant_refresh_tokens SET expires_at = now() - interval '1 second'",
    )
    assert_unauthorized(await _refresh(api, pair["refresh_token"]))


async def test_refresh_tokens_are_stored_hashed(
    api: httpx.AsyncClient, accounts: Accounts, migrated_database: str
) -> None:
    """The table holds no token text, only 64-hex-digit hashes."""
    _, pair = await accounts.new()
    hashes = await sql(
        migrated_database, "fetch", "SELECT token_hash FROM assistant_refresh_tokens"
    )
    assert [len(row["token_hash"]) for row in hashes] == [64]
    assert pair["refresh_token"] not in {row["token_hash"] for row in hashes}


async def test_logout_revokes_the_family(api: httpx.AsyncClient, accounts: Accounts) -> None:
    """Logout: 204; the refresh token, and any rotated from it, no longer work."""
    _, pair = await accounts.new()
    rotated = (await _refresh(api, pair["refresh_token"])).json()
    response = await api.post(
        "/v1/auth/logout",
        json={"refresh_token": rotated["refresh_token"]},
        headers=bearer(rotated["access_token"]),
    )
    assert response.status_code == 204
    assert_unauthorized(await _refresh(api, rotated["refresh_token"]))


async def test_logout_leaves_another_users_tokens_alone(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """Logging out with someone else's refresh token: 204, and their token still works."""
    _, mine = await accounts.new()
    _, theirs = await accounts.new()
    response = await api.post(
        "/v1/auth/logout",
        json={"refresh_token": theirs["refresh_token"]},
        headers=bearer(mine["access_token"]),
    )
    assert response.status_code == 204
    assert (await _refresh(api, theirs["refresh_token"])).status_code == 200


async def test_logout_without_a_token_answers_401(api: httpx.AsyncClient) -> None:
    """Logout needs the bearer token, whatever the body."""
    response = await api.post("/v1/auth/logout", json={"refresh_token": "x"})
    assert_unauthorized(response, token_sent=False)
