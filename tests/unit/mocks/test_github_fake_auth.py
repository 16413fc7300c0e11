"""The fake GitHub's credentials (token, App JWT, installation tokens), rate limits,
injected failures and request log."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from backbone.mocks.github.config import GitHubFakeSettings
from tests.unit.mocks._github_fake import (
    APP_ID,
    AUTH,
    PULL,
    app_jwt,
    bearer,
    client_for,
    make_app,
    new_key,
    store_of,
    write_public_key,
)

TOKENS = "/app/installations/1/access_tokens"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    """The App's key pair (one per module: RSA generation is slow)."""
    return new_key()


@pytest.fixture
def app(key: rsa.RSAPrivateKey, tmp_path: Path) -> FastAPI:
    """A fake that knows the App's public key."""
    public = write_public_key(key, tmp_path / "app.pub.pem")
    return make_app(app_id=APP_ID, app_public_key_file=public)


@pytest.fixture
async def gh(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An unauthenticated client of the fake (each test says what it presents)."""
    async with client_for(app) as client:
        yield client


# -- tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["token", "Bearer", "bearer"])
async def test_configured_token_accepted(gh: httpx.AsyncClient, scheme: str) -> None:
    """The configured token works as ``token`` or ``Bearer``."""
    response = await gh.get(PULL, headers={"Authorization": f"{scheme} fake-github-token"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Requires authentication"),
        ({"Authorization": "token nope"}, "Bad credentials"),
        ({"Authorization": "Basic fake-github-token"}, "Requires authentication"),
    ],
)
async def test_missing_or_wrong_token(
    gh: httpx.AsyncClient, headers: dict[str, str], message: str
) -> None:
    """No credential or a wrong one: GitHub's 401 body, on every GitHub endpoint."""
    for path in (PULL, f"{PULL}/files", "/repos/octo-org/hello-world/contents/README.md"):
        response = await gh.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": "401",
        }


async def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``BACKBONE_GITHUB_FAKE_TOKEN`` sets the accepted token."""
    monkeypatch.setenv("BACKBONE_GITHUB_FAKE_TOKEN", "from-env")
    settings = GitHubFakeSettings(_env_file=None)
    from backbone.mocks.github import create_app

    async with client_for(create_app(settings)) as gh:
        assert (await gh.get(PULL, headers=bearer("from-env"))).status_code == 200
        assert (await gh.get(PULL, headers=AUTH)).status_code == 401


async def test_control_endpoints_need_no_auth(gh: httpx.AsyncClient) -> None:
    """``/_fake/`` and the health endpoints answer without credentials."""
    assert (await gh.get("/_fake/requests")).status_code == 200
    assert (await gh.get("/healthz")).status_code == 200


# -- the App flow ------------------------------------------------------------------------


async def test_app_flow(gh: httpx.AsyncClient, app: FastAPI, key: rsa.RSAPrivateKey) -> None:
    """A valid JWT (``iss`` a number or a string) → 201 ``ghs_`` token valid one hour,
    which then reads the pull request; the installation is found with the JWT; the token
    expires."""
    by_id = bearer(app_jwt(key, iss=str(APP_ID)))  # the App id as a string works too
    installation = await gh.get("/repos/octo-org/hello-world/installation", headers=by_id)
    assert (installation.status_code, installation.json()["id"]) == (200, 1)
    response = await gh.post(TOKENS, headers=bearer(app_jwt(key)))
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("ghs_")
    expires = datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 3590 <= expires.timestamp() - time.time() <= 3600
    assert (await gh.get(PULL, headers=bearer(body["token"]))).status_code == 200
    assert (
        await gh.get(PULL, headers={"Authorization": f"token {body['token']}"})
    ).status_code == 200
    store_of(app).clock.advance(3601)
    assert (await gh.get(PULL, headers=bearer(body["token"]))).json()[
        "message"
    ] == "Bad credentials"


def _bad_jwts(key: rsa.RSAPrivateKey) -> dict[str, str]:
    now = int(time.time())
    return {
        "expired": app_jwt(key, iat=now - 700, exp=now - 60),
        "too far": app_jwt(key, iat=now, exp=now + 660),
        "issued in the future": app_jwt(key, iat=now + 120, exp=now + 300),
        "other app": app_jwt(key, iss=APP_ID + 1),
        "other key": app_jwt(new_key()),
        "HS256": app_jwt(key, algorithm="HS256", secret="s" * 32),
        "not a JWT": "fake-github-token",
    }


@pytest.mark.parametrize(
    "case",
    ["expired", "too far", "issued in the future", "other app", "other key", "HS256", "not a JWT"],
)
async def test_bad_jwt_refused(gh: httpx.AsyncClient, key: rsa.RSAPrivateKey, case: str) -> None:
    """Expired, over 10 minutes, iat ahead, another App, another key, not RS256: 401."""
    token = _bad_jwts(key)[case]
    response = await gh.post(TOKENS, headers=bearer(token))
    assert response.status_code == 401
    installation = await gh.get("/repos/octo-org/hello-world/installation", headers=bearer(token))
    assert installation.status_code == 401


async def test_jwt_is_no_token_for_the_api(gh: httpx.AsyncClient, key: rsa.RSAPrivateKey) -> None:
    """The App JWT itself does not read pull requests."""
    assert (await gh.get(PULL, headers=bearer(app_jwt(key)))).status_code == 401


async def test_unknown_installation(gh: httpx.AsyncClient, key: rsa.RSAPrivateKey) -> None:
    """A token for an installation that does not exist: 404."""
    response = await gh.post("/app/installations/77/access_tokens", headers=bearer(app_jwt(key)))
    assert response.status_code == 404


async def test_no_public_key_no_app(key: rsa.RSAPrivateKey) -> None:
    """Without a configured public key every App JWT is refused."""
    async with client_for(make_app(app_id=APP_ID)) as gh:
        assert (await gh.post(TOKENS, headers=bearer(app_jwt(key)))).status_code == 401


async def test_private_key_file_also_works(key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    """Pointing the setting at the App's private key uses its public half."""
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "app.pem").write_bytes(pem)
    async with client_for(make_app(app_id=APP_ID, app_public_key_file=tmp_path / "app.pem")) as gh:
        assert (await gh.post(TOKENS, headers=bearer(app_jwt(key)))).status_code == 201


# -- rate limits, failures, the request log ---------------------------------------------


async def test_rate_limit_headers(gh: httpx.AsyncClient) -> None:
    """Every GitHub answer carries x-ratelimit-*; each request uses one."""
    first = await gh.get(PULL, headers=AUTH)
    second = await gh.get(f"{PULL}/nothing", headers=AUTH)
    assert second.status_code == 404
    for response, used in ((first, 1), (second, 2)):
        headers = response.headers
        assert headers["x-ratelimit-limit"] == "5000"
        assert (headers["x-ratelimit-used"], headers["x-ratelimit-remaining"]) == (
            str(used),
            str(5000 - used),
        )
        assert headers["x-ratelimit-resource"] == "core"
        assert 0 < int(headers["x-ratelimit-reset"]) - time.time() <= 3600


async def test_injected_primary_rate_limit(gh: httpx.AsyncClient) -> None:
    """The next N requests: 403, remaining 0, reset = now + reset_after; then normal again."""
    spec = {"requests": 2, "status": 403, "reset_after": 30}
    assert (await gh.post("/_fake/rate-limit", json=spec)).status_code == 204
    for _ in range(2):
        response = await gh.get(PULL, headers=AUTH)
        assert response.status_code == 403
        assert response.headers["x-ratelimit-remaining"] == "0"
        assert 25 <= int(response.headers["x-ratelimit-reset"]) - time.time() <= 31
        assert response.json()["message"].startswith("API rate limit exceeded for user ID ")
        assert "retry-after" not in response.headers
    assert (await gh.get(PULL, headers=AUTH)).status_code == 200


async def test_injected_secondary_rate_limit(gh: httpx.AsyncClient) -> None:
    """A 429 with Retry-After: GitHub's secondary rate limit."""
    await gh.post("/_fake/rate-limit", json={"requests": 1, "status": 429, "retry_after": 7})
    response = await gh.get(PULL, headers=AUTH)
    assert (response.status_code, response.headers["retry-after"]) == (429, "7")
    assert "secondary rate limit" in response.json()["message"]


async def test_window_runs_out(app: FastAPI) -> None:
    """With a limit of 2 an hour, the third request is a 403; a new window lets it pass."""
    small = make_app(rate_limit=2)
    async with client_for(small) as gh:
        statuses = [(await gh.get(PULL, headers=AUTH)).status_code for _ in range(3)]
        assert statuses == [200, 200, 403]
        store_of(small).clock.advance(3600)
        assert (await gh.get(PULL, headers=AUTH)).status_code == 200


async def test_rate_limit_endpoint_is_free(gh: httpx.AsyncClient) -> None:
    """GET /rate_limit shows the window and costs nothing."""
    await gh.get(PULL, headers=AUTH)
    body = (await gh.get("/rate_limit", headers=AUTH)).json()
    assert body["resources"]["core"]["used"] == body["rate"]["used"] == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_injected_failures(gh: httpx.AsyncClient, status: int) -> None:
    """The next N requests answer the status (recorded like any other), then all is well."""
    assert (await gh.post("/_fake/fail", json={"requests": 2, "status": status})).status_code == 204
    statuses = [(await gh.get(PULL, headers=AUTH)).status_code for _ in range(3)]
    assert statuses == [status, status, 200]
    recorded = (await gh.get("/_fake/requests")).json()
    assert [r["status"] for r in recorded] == statuses


async def test_requests_are_recorded(gh: httpx.AsyncClient) -> None:
    """GitHub requests are logged (method, path, query, status); controls and health not."""
    await gh.get("/healthz")
    await gh.get(f"{PULL}/files", params={"per_page": 5}, headers=AUTH)
    await gh.post("/repos/octo-org/hello-world/issues/1/comments", json={"body": "x"})
    assert (await gh.get("/_fake/requests")).json() == [
        {"method": "GET", "path": f"{PULL}/files", "query": "per_page=5", "status": 200},
        {
            "method": "POST",
            "path": "/repos/octo-org/hello-world/issues/1/comments",
            "query": "",
            "status": 401,
        },
    ]


@pytest.mark.parametrize("spec", [{"status": 404}, {"requests": 0}, {"status": "503"}])
async def test_fail_spec_refused(gh: httpx.AsyncClient, spec: dict[str, object]) -> None:
    """Only 500, 502, 503 and a positive count are accepted."""
    assert (await gh.post("/_fake/fail", json=spec)).status_code == 422
