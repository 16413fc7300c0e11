"""GitHub App authentication: the JWT, the installation look-up, the installation token
cached and minted once, and the credentials kept out of reprs, errors and logs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr

from backbone.review.config import ReviewSettings
from backbone.review.github import (
    AppAuth,
    GitHubAuthError,
    GitHubBadResponse,
    GitHubClient,
    GitHubNotFound,
    RepoRef,
    TokenAuth,
)
from tests.unit.review._github_stub import (
    API,
    PREFIX,
    Fault,
    GitHubStub,
    Sleeps,
    json_response,
)

APP_ID = 123456
REPO = RepoRef("octo-org", "hello-world")
OTHER = RepoRef("octo-org", "other")
START = 1_700_000_000.0
INSTALLATION_TOKEN = "ghs_" + "1nstallat10nT0ken" * 2
APP_SLUG = "backbone-review"
MARKER = "<!-- backbone-review -->"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class AppGitHub(GitHubStub):
    """The stub plus the App routes; checks each JWT with the App's public key."""

    def __init__(self, public_key: rsa.RSAPublicKey, clock: Clock) -> None:
        super().__init__()
        self.public_key = public_key
        self.clock = clock
        self.installations = {"hello-world": 11, "other": 22}
        self.minted = 0
        self.claims: list[dict[str, Any]] = []
        self.mint_pause = 0
        self.token_answer: httpx.Response | None = None

    def verify(self, request: httpx.Request) -> dict[str, Any]:
        token = request.headers["authorization"].removeprefix("Bearer ")
        claims: dict[str, Any] = jwt.decode(
            token,
            self.public_key,
            algorithms=["RS256"],
            issuer=str(APP_ID),
            options={"require": ["iat", "exp", "iss"], "verify_exp": False, "verify_iat": False},
        )
        self.claims.append(claims)
        return claims

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(PREFIX)
        if path == "/app":
            self.requests.append(request)
            self.verify(request)
            return json_response(200, {"id": APP_ID, "slug": APP_SLUG, "name": "Backbone"})
        if path.endswith("/installation"):
            self.requests.append(request)
            self.verify(request)
            name = path.split("/")[3]
            if name not in self.installations:
                return json_response(404, {"message": "Not Found"})
            return json_response(200, {"id": self.installations[name], "app_id": APP_ID})
        if path.startswith("/app/installations/"):
            self.requests.append(request)
            self.verify(request)
            for _ in range(self.mint_pause):
                await asyncio.sleep(0)  # let concurrent callers pile up on the lock
            if self.token_answer is not None:
                return self.token_answer
            self.minted += 1
            expires = datetime.fromtimestamp(self.clock() + 3600, UTC)
            stamp = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
            token = f"{INSTALLATION_TOKEN}{self.minted}"
            return json_response(201, {"token": token, "expires_at": stamp})
        return await super().handle(request)

    def api_credentials(self) -> list[str]:
        """The Authorization of each request to the REST API itself (not the App's)."""
        return [r.headers["authorization"] for r in self.requests if "/pulls/" in r.url.path]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def github(rsa_key: rsa.RSAPrivateKey, clock: Clock) -> AppGitHub:
    return AppGitHub(rsa_key.public_key(), clock)


@pytest.fixture
async def client(github: AppGitHub, pem: str, clock: Clock) -> AsyncIterator[GitHubClient]:
    auth = AppAuth(APP_ID, SecretStr(pem), clock=clock)
    async with GitHubClient(
        base_url=API, auth=auth, transport=github.transport(), sleep=Sleeps(), clock=clock
    ) as client:
        yield client


def test_the_jwt_is_rs256_with_githubs_claims(pem: str, rsa_key: rsa.RSAPrivateKey) -> None:
    """The JWT verifies with the App's public key: RS256, ``iss`` the App id, ``iat`` 60 s
    back for clock drift, ``exp`` within GitHub's 10 minutes of ``iat``."""
    auth = AppAuth(APP_ID, SecretStr(pem), clock=lambda: START)
    token = auth.app_jwt()
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(
        token,
        rsa_key.public_key(),
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == str(APP_ID)
    assert claims["iat"] == int(START) - 60
    assert int(START) < claims["exp"] <= claims["iat"] + 600


async def test_an_installation_token_authenticates_the_calls(
    client: GitHubClient, github: AppGitHub
) -> None:
    """The repo's installation is looked up and a token minted with the JWT; the API call
    carries the installation token."""
    await client.pull_request(REPO, 7)
    assert github.calls() == [
        "GET /repos/octo-org/hello-world/installation",
        "POST /app/installations/11/access_tokens",
        "GET /repos/octo-org/hello-world/pulls/7",
    ]
    assert github.api_credentials() == [f"Bearer {INSTALLATION_TOKEN}1"]


async def test_the_token_is_cached_until_shortly_before_it_expires(
    client: GitHubClient, github: AppGitHub, clock: Clock
) -> None:
    """Calls within the hour reuse the token; near its expiry a new one is minted (the
    installation id stays cached)."""
    await client.pull_request(REPO, 7)
    clock.now += 3000
    await client.pull_request(REPO, 7)
    assert github.minted == 1
    clock.now += 3600 - 3000 - 60  # a minute before expiry: inside the refresh margin
    await client.pull_request(REPO, 7)
    assert github.minted == 2
    assert github.calls("GET").count("GET /repos/octo-org/hello-world/installation") == 1
    assert github.api_credentials()[-1] == f"Bearer {INSTALLATION_TOKEN}2"


async def test_each_repository_gets_its_installation(
    client: GitHubClient, github: AppGitHub
) -> None:
    """Two repositories in two installations: one look-up and one token each."""
    await client.pull_request(REPO, 7)
    await client.pull_request(OTHER, 3)
    await client.pull_request(REPO, 8)
    assert github.calls("POST") == [
        "POST /app/installations/11/access_tokens",
        "POST /app/installations/22/access_tokens",
    ]


async def test_concurrent_calls_mint_once(client: GitHubClient, github: AppGitHub) -> None:
    """Ten calls at once while the mint is slow: one look-up, one token, ten API calls."""
    github.mint_pause = 5
    await asyncio.gather(*(client.pull_request(REPO, 7) for _ in range(10)))
    assert github.minted == 1
    assert len(github.api_credentials()) == 10
    assert github.calls("GET").count("GET /repos/octo-org/hello-world/installation") == 1


async def test_a_token_refused_early_is_replaced_once(
    client: GitHubClient, github: AppGitHub
) -> None:
    """A 401 with a cached token (revoked): a new token is minted and the call sent again;
    a second 401 is a GitHubAuthError."""
    await client.pull_request(REPO, 7)
    pull = "/repos/octo-org/hello-world/pulls/7"
    github.faults.append(Fault("GET", pull, json_response(401, {"message": "Bad credentials"})))
    await client.pull_request(REPO, 7)
    assert github.minted == 2
    github.faults.append(
        Fault("GET", pull, json_response(401, {"message": "Bad credentials"}), times=2)
    )
    with pytest.raises(GitHubAuthError):
        await client.pull_request(REPO, 7)
    assert github.minted == 3


async def test_an_app_edits_the_comment_of_its_bot_only(
    client: GitHubClient, github: AppGitHub
) -> None:
    """An App learns who it is once from ``GET /app`` with its JWT (never ``GET /user``,
    which refuses an installation token): its comments are by ``{slug}[bot]``; a marked
    comment by anyone else is left alone."""
    github.add_comment(f"{MARKER}\nforged", login="mallory")
    own = github.add_comment(f"{MARKER}\nold", login=f"{APP_SLUG}[bot]")
    for text in ("new", "newer"):
        await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\n{text}")
    assert [c["body"] for c in github.comments] == [f"{MARKER}\nforged", f"{MARKER}\nnewer"]
    assert (
        github.calls("PATCH")
        == [f"PATCH /repos/octo-org/hello-world/issues/comments/{own['id']}"] * 2
    )
    assert github.calls().count("GET /app") == 1
    assert "GET /user" not in github.calls()
    assert await client.own_login() == f"{APP_SLUG}[bot]"
    [asked] = [r for r in github.requests if r.url.path == f"{PREFIX}/app"]
    assert github.verify(asked)["iss"] == str(APP_ID)  # signed as the App, not a token


async def test_an_app_not_installed_on_the_repo_is_not_found(
    client: GitHubClient, github: AppGitHub
) -> None:
    """The installation look-up answers 404: GitHubNotFound, no token minted."""
    with pytest.raises(GitHubNotFound, match="installation"):
        await client.pull_request(RepoRef("octo-org", "elsewhere"), 1)
    assert github.minted == 0


async def test_a_malformed_token_answer_hides_its_values(
    client: GitHubClient, github: AppGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    """A token answer with a bad ``expires_at`` raises GitHubBadResponse naming the field,
    never the token's value."""
    github.token_answer = json_response(201, {"token": INSTALLATION_TOKEN, "expires_at": "soon"})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(GitHubBadResponse, match="expires_at") as caught:
        await client.pull_request(REPO, 7)
    assert INSTALLATION_TOKEN not in str(caught.value)
    assert INSTALLATION_TOKEN not in caplog.text


async def test_no_credential_in_logs(
    client: GitHubClient, github: AppGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither the JWT nor the installation token reaches a log line."""
    caplog.set_level(logging.DEBUG)
    await client.pull_request(REPO, 7)
    assert INSTALLATION_TOKEN not in caplog.text
    for request in github.requests:
        credential = request.headers["authorization"].removeprefix("Bearer ")
        assert credential not in caplog.text


def test_reprs_show_no_credential(pem: str) -> None:
    """``repr`` of either auth shows no token and no key."""
    token = TokenAuth(SecretStr("ghp_" + "x" * 36))
    app = AppAuth(APP_ID, SecretStr(pem))
    assert "ghp_" not in repr(token)
    assert "PRIVATE KEY" not in repr(app)
    assert str(APP_ID) in repr(app)


@pytest.mark.parametrize("key", ["not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n"])
def test_a_key_that_does_not_load_is_refused_without_its_text(key: str) -> None:
    """A private key that does not parse raises ValueError, which does not quote it."""
    with pytest.raises(ValueError, match="not an unencrypted PEM key") as caught:
        AppAuth(APP_ID, SecretStr(key))
    assert key not in str(caught.value)


def test_a_key_that_is_not_rsa_is_refused() -> None:
    """RS256 needs an RSA key: an EC key raises ValueError."""
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="not an RSA key"):
        AppAuth(APP_ID, SecretStr(key.decode()))


async def test_from_settings_reads_the_key_file_and_authenticates_as_the_app(
    tmp_path: Path, pem: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    """App settings: the key file is read by ``from_settings`` and the calls go through
    the installation token (the App wins over a token also configured)."""
    key_file = tmp_path / "app.pem"
    key_file.write_text(pem)
    settings = ReviewSettings(
        github_api_url=API,
        github_app_id=APP_ID,
        github_private_key_file=key_file,
        github_token=SecretStr("ghp_unused"),
    )
    wall = Clock()
    wall.now = time.time()  # from_settings's client runs on the real clock
    github = AppGitHub(rsa_key.public_key(), wall)
    async with GitHubClient.from_settings(settings, transport=github.transport()) as client:
        await client.pull_request(REPO, 7)
    assert github.minted == 1
    assert github.api_credentials() == [f"Bearer {INSTALLATION_TOKEN}1"]
