"""Access tokens: every token that is not one this service issued and still accepts is a 401
with the Bearer challenge — never a 500, never another user's data."""

from __future__ import annotations

import base64
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.integration.assistant.conftest import (
    SECRET,
    Accounts,
    assert_unauthorized,
    bearer,
)

pytestmark = pytest.mark.integration

ISSUER = AUDIENCE = "backbone-assistant"


def _claims(user_id: str, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": user_id,
        "role": "user",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _hand_signed(
    header: dict[str, Any], claims: dict[str, Any], key: bytes, digest: str = "sha256"
) -> str:
    """A JWT signed by hand with HMAC (PyJWT refuses PEM keys for HMAC, attackers don't)."""
    payload = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims.items()}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(key, signing_input.encode("ascii"), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


@pytest.fixture
async def user_id(accounts: Accounts) -> str:
    """A registered user's id."""
    user = await accounts.register()
    return str(user["user_id"])


async def _me(api: httpx.AsyncClient, token: str) -> httpx.Response:
    return await api.get("/v1/me", headers=bearer(token))


async def test_a_well_formed_token_is_accepted(api: httpx.AsyncClient, user_id: str) -> None:
    """The forging helper makes tokens the API accepts, so each refusal below is the change's."""
    token = jwt.encode(_claims(user_id), SECRET, algorithm="HS256")
    response = await _me(api, token)
    assert response.status_code == 200
    assert response.json()["user_id"] == user_id


async def test_no_token_answers_401(api: httpx.AsyncClient) -> None:
    """No Authorization header: 401 with ``WWW-Authenticate: Bearer``."""
    assert_unauthorized(await api.get("/v1/me"), token_sent=False)


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "bearer"]
)
async def test_a_header_without_a_bearer_token_answers_401(
    api: httpx.AsyncClient, header: str
) -> None:
    """No bearer token in the header (other scheme, no credentials): 401 ``Bearer``."""
    assert_unauthorized(
        await api.get("/v1/me", headers={"Authorization": header}), token_sent=False
    )


@pytest.mark.parametrize(
    "token", ["garbage", "a.b.c", "a.b", "....", "eyJhbGciOiJIUzI1NiJ9..", "x" * 5000]
)
async def test_a_malformed_token_answers_401(api: httpx.AsyncClient, token: str) -> None:
    """A bearer value that is not a JWT: 401 ``invalid_token``."""
    assert_unauthorized(await _me(api, token))


async def test_alg_none_answers_401(api: httpx.AsyncClient, user_id: str) -> None:
    """An unsigned token (``alg: none``) is refused."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    claims = {
        k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in _claims(user_id).items()
    }
    token = f"{header}.{_b64(json.dumps(claims).encode())}."
    assert_unauthorized(await _me(api, token))


async def test_hs512_answers_401(api: httpx.AsyncClient, user_id: str) -> None:
    """HS512 signed with the service's own secret: not the pinned algorithm, refused."""
    header = {"alg": "HS512", "typ": "JWT"}
    token = _hand_signed(header, _claims(user_id), SECRET.encode(), "sha512")
    assert_unauthorized(await _me(api, token))


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


async def test_rs256_answers_401(api: httpx.AsyncClient, user_id: str) -> None:
    """A token signed with RS256 (an attacker's key pair) is refused."""
    token = jwt.encode(_claims(user_id), _rsa_key(), algorithm="RS256")
    assert_unauthorized(await _me(api, token))


async def test_hs256_signed_with_a_public_key_answers_401(
    api: httpx.AsyncClient, user_id: str
) -> None:
    """HS256 "signed" with a PEM public key as the HMAC secret (key confusion): refused."""
    public_pem = (
        _rsa_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    token = _hand_signed({"alg": "HS256", "typ": "JWT"}, _claims(user_id), public_pem)
    assert_unauthorized(await _me(api, token))


async def test_another_secret_answers_401(api: httpx.AsyncClient, user_id: str) -> None:
    """HS256 with a secret other than the service's: a bad signature, refused."""
    token = jwt.encode(_claims(user_id), "another-secret-" + "z" * 32, algorithm="HS256")
    assert_unauthorized(await _me(api, token))


async def test_a_changed_payload_answers_401(api: httpx.AsyncClient, user_id: str) -> None:
    """A valid token whose payload was edited (role: admin) no longer matches its signature."""
    header, _, signature = jwt.encode(_claims(user_id), SECRET, algorithm="HS256").split(".")
    edited = _claims(user_id, role="admin")
    payload = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in edited.items()}
    token = f"{header}.{_b64(json.dumps(payload).encode())}.{signature}"
    assert_unauthorized(await _me(api, token))


async def test_an_expired_token_answers_401(api: httpx.AsyncClient, user_id: str) -> None:
    """Expired a minute ago (past the leeway): refused."""
    past = datetime.now(UTC) - timedelta(minutes=20)
    claims = _claims(user_id, iat=past, nbf=past, exp=past + timedelta(minutes=19))
    assert_unauthorized(await _me(api, jwt.encode(claims, SECRET, algorithm="HS256")))


async def test_a_token_not_yet_valid_answers_401(api: httpx.AsyncClient, user_id: str) -> None:
    """``nbf`` an hour ahead: refused."""
    claims = _claims(user_id, nbf=datetime.now(UTC) + timedelta(hours=1))
    assert_unauthorized(await _me(api, jwt.encode(claims, SECRET, algorithm="HS256")))


@pytest.mark.parametrize("audience", ["someone-else", ["someone-else"], [AUDIENCE, "other"]])
async def test_a_wrong_audience_answers_401(
    api: httpx.AsyncClient, user_id: str, audience: Any
) -> None:
    """An audience other than the service's (or a list of them): refused."""
    claims = _claims(user_id, aud=audience)
    assert_unauthorized(await _me(api, jwt.encode(claims, SECRET, algorithm="HS256")))


async def test_a_wrong_issuer_answers_401(api: httpx.AsyncClient, user_id: str) -> None:
    """An issuer other than the service's: refused."""
    claims = _claims(user_id, iss="https://evil.example")
    assert_unauthorized(await _me(api, jwt.encode(claims, SECRET, algorithm="HS256")))


@pytest.mark.parametrize("claim", ["sub", "exp", "iat", "nbf", "iss", "aud", "jti", "role"])
async def test_a_missing_claim_answers_401(
    api: httpx.AsyncClient, user_id: str, claim: str
) -> None:
    """Each required claim left out, in turn: refused."""
    claims = _claims(user_id)
    del claims[claim]
    assert_unauthorized(await _me(api, jwt.encode(claims, SECRET, algorithm="HS256")))


@pytest.mark.parametrize(
    "changes",
    [{"sub": "not-a-uuid"}, {"sub": 42}, {"role": "root"}, {"exp": "tomorrow"}],
    ids=["sub-not-uuid", "sub-number", "unknown-role", "exp-text"],
)
async def test_a_claim_of_the_wrong_kind_answers_401(
    api: httpx.AsyncClient, user_id: str, changes: dict[str, Any]
) -> None:
    """A claim present but not what it must be: refused, never a 500."""
    claims = _claims(user_id, **changes)
    token = _hand_signed({"alg": "HS256", "typ": "JWT"}, claims, SECRET.encode())
    assert_unauthorized(await _me(api, token))


async def test_an_unknown_user_answers_401(api: httpx.AsyncClient) -> None:
    """A well-signed token naming no user: refused."""
    token = jwt.encode(_claims(str(uuid.uuid4())), SECRET, algorithm="HS256")
    assert_unauthorized(await _me(api, token))


async def test_a_deleted_users_token_answers_401(
    api: httpx.AsyncClient, accounts: Accounts
) -> None:
    """DELETE /v1/me, then the same (unexpired) access token: refused at once."""
    _, pair = await accounts.new()
    access = bearer(pair["access_token"])
    assert (await api.delete("/v1/me", headers=access)).status_code == 204
    assert_unauthorized(await api.get("/v1/me", headers=access))
