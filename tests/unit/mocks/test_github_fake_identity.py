"""Who the fake says a caller is, as GitHub does: ``GET /user`` for a token, ``GET /app``
for an App JWT; comments authored by that account; comments by others set up through
``/_fake/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from pydantic import ValidationError

from backbone.mocks.github.config import GitHubFakeSettings
from tests.unit.mocks._github_fake import (
    APP_ID,
    AUTH,
    REPO,
    app_jwt,
    bearer,
    client_for,
    make_app,
    new_key,
    write_public_key,
)

TOKENS = "/app/installations/1/access_tokens"
COMMENTS = f"{REPO}/issues/1/comments"
OTHERS = "/_fake/pulls/octo-org/hello-world/1/comments"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    """The App's key pair (one per module: RSA generation is slow)."""
    return new_key()


def _app(key: rsa.RSAPrivateKey, tmp_path: Path, **settings: Any) -> FastAPI:
    public = write_public_key(key, tmp_path / "app.pub.pem")
    return make_app(app_id=APP_ID, app_public_key_file=public, **settings)


@pytest.fixture
async def gh(key: rsa.RSAPrivateKey, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A fake with the default bot login, that knows the App's public key."""
    async with client_for(_app(key, tmp_path)) as client:
        yield client


async def _installation_token(gh: httpx.AsyncClient, key: rsa.RSAPrivateKey) -> str:
    minted = await gh.post(TOKENS, headers=bearer(app_jwt(key)))
    assert minted.status_code == 201, minted.text
    token: str = minted.json()["token"]
    return token


# -- GET /user ---------------------------------------------------------------------------


async def test_user_is_the_bot_login_for_the_token(gh: httpx.AsyncClient) -> None:
    """``GET /user`` with the configured token: the account the fake writes comments as."""
    response = await gh.get("/user", headers=AUTH)
    assert response.status_code == 200
    user = response.json()
    assert (user["login"], user["type"]) == ("backbone-review[bot]", "Bot")
    created = await gh.post(COMMENTS, json={"body": "hi"}, headers=AUTH)
    assert created.json()["user"]["login"] == user["login"]


async def test_user_of_a_personal_account(key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    """A bot login without ``[bot]`` is a personal account: ``type: User``, and the
    token's comments are by it."""
    async with client_for(_app(key, tmp_path, bot_login="backbone-ci")) as gh:
        user = (await gh.get("/user", headers=AUTH)).json()
        comment = (await gh.post(COMMENTS, json={"body": "hi"}, headers=AUTH)).json()
    assert (user["login"], user["type"]) == ("backbone-ci", "User")
    assert (comment["user"]["login"], comment["user"]["type"]) == ("backbone-ci", "User")


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "Requires authentication"), (bearer("ghp_wrong"), "Bad credentials")],
)
async def test_user_needs_the_token(
    gh: httpx.AsyncClient, headers: dict[str, str], message: str
) -> None:
    """No credential or a wrong one: GitHub's 401."""
    response = await gh.get("/user", headers=headers)
    assert (response.status_code, response.json()["message"]) == (401, message)


async def test_user_is_not_for_an_installation(
    gh: httpx.AsyncClient, key: rsa.RSAPrivateKey
) -> None:
    """An installation token is no user: 403 "Resource not accessible by integration",
    as GitHub answers; the App JWT itself: 401."""
    token = await _installation_token(gh, key)
    response = await gh.get("/user", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["message"] == "Resource not accessible by integration"
    assert (await gh.get("/user", headers=bearer(app_jwt(key)))).status_code == 401


# -- GET /app ----------------------------------------------------------------------------


async def test_app_is_the_bot_login_without_its_suffix(
    gh: httpx.AsyncClient, key: rsa.RSAPrivateKey
) -> None:
    """``GET /app`` with the App JWT: its id and slug; the installation token's comments
    are by ``{slug}[bot]``."""
    response = await gh.get("/app", headers=bearer(app_jwt(key)))
    assert response.status_code == 200
    app = response.json()
    assert (app["id"], app["slug"]) == (APP_ID, "backbone-review")
    assert app["name"]
    token = await _installation_token(gh, key)
    comment = (await gh.post(COMMENTS, json={"body": "hi"}, headers=bearer(token))).json()
    assert comment["user"]["login"] == f"{app['slug']}[bot]"


async def test_an_apps_comments_are_by_its_bot(key: rsa.RSAPrivateKey, tmp_path: Path) -> None:
    """With a bot login that is a personal account, the App still writes as
    ``{slug}[bot]`` (comments and reviews), the token as the account."""
    async with client_for(_app(key, tmp_path, bot_login="backbone-ci")) as gh:
        slug = (await gh.get("/app", headers=bearer(app_jwt(key)))).json()["slug"]
        token = await _installation_token(gh, key)
        by_app = (await gh.post(COMMENTS, json={"body": "a"}, headers=bearer(token))).json()
        head = (await gh.get(f"{REPO}/pulls/1", headers=AUTH)).json()["head"]["sha"]
        review = {"commit_id": head, "body": "r", "event": "COMMENT"}
        posted = await gh.post(f"{REPO}/pulls/1/reviews", json=review, headers=bearer(token))
    assert slug == "backbone-ci"
    assert by_app["user"]["login"] == "backbone-ci[bot]"
    assert posted.json()["user"]["login"] == "backbone-ci[bot]"


@pytest.mark.parametrize("credential", ["token", "expired", "none"])
async def test_app_needs_a_valid_jwt(
    gh: httpx.AsyncClient, key: rsa.RSAPrivateKey, credential: str
) -> None:
    """The configured token, an expired JWT or nothing: 401."""
    headers = {
        "token": AUTH,
        "expired": bearer(app_jwt(key, iat=1_000_000, exp=1_000_600)),
        "none": {},
    }[credential]
    assert (await gh.get("/app", headers=headers)).status_code == 401


async def test_user_and_app_are_githubs_paths(
    gh: httpx.AsyncClient, key: rsa.RSAPrivateKey
) -> None:
    """Both are recorded and counted like any GitHub request; an unknown ``/users``
    path is GitHub's 404."""
    await gh.get("/user", headers=AUTH)
    await gh.get("/app", headers=bearer(app_jwt(key)))
    recorded = (await gh.get("/_fake/requests")).json()
    assert [(r["method"], r["path"], r["status"]) for r in recorded] == [
        ("GET", "/user", 200),
        ("GET", "/app", 200),
    ]
    answer = await gh.get("/user", headers=AUTH)
    assert "x-ratelimit-remaining" in answer.headers


# -- comments by others ------------------------------------------------------------------


async def test_a_comment_by_someone_else(gh: httpx.AsyncClient) -> None:
    """``POST /_fake/.../comments`` records a comment by the given author, listed in the
    conversation like the bot's (a user's ``type: User``)."""
    mine = (await gh.post(COMMENTS, json={"body": "bot"}, headers=AUTH)).json()
    theirs = await gh.post(OTHERS, json={"author": "mallory", "body": "<!-- m -->"})
    assert theirs.status_code == 201
    listed = (await gh.get(COMMENTS, headers=AUTH)).json()
    assert [(c["id"], c["user"]["login"], c["user"]["type"]) for c in listed] == [
        (mine["id"], "backbone-review[bot]", "Bot"),
        (theirs.json()["id"], "mallory", "User"),
    ]


@pytest.mark.parametrize(
    "spec",
    [{"author": "bad login!", "body": "x"}, {"author": "mallory"}, {"body": "x"}],
)
async def test_a_comment_by_someone_else_is_checked(
    gh: httpx.AsyncClient, spec: dict[str, str]
) -> None:
    """A login GitHub would not allow, or a missing field: 422, nothing recorded."""
    assert (await gh.post(OTHERS, json=spec)).status_code == 422
    assert (await gh.get(COMMENTS, headers=AUTH)).json() == []


@pytest.mark.parametrize("login", ["[bot]", "has space", "-leading-dash", "x" * 40])
def test_a_bot_login_github_would_not_allow_is_refused(login: str) -> None:
    """The bot login is a GitHub login (so the App's slug is never empty)."""
    with pytest.raises(ValidationError, match="bot_login"):
        GitHubFakeSettings(_env_file=None, bot_login=login)
