"""Access tokens made and checked without a server: claims, the pinned algorithm, refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from backbone.assistant.auth.models import Role
from backbone.assistant.auth.tokens import (
    REQUIRED_CLAIMS,
    AccessTokens,
    InvalidTokenError,
    hash_refresh_token,
    new_refresh_token,
)

SECRET = "unit-test-secret-" + "s" * 32


def _tokens(**changes: object) -> AccessTokens:
    options: dict[str, object] = {
        "secret": SECRET,
        "algorithm": "HS256",
        "issuer": "iss-a",
        "audience": "aud-a",
        "lifetime": timedelta(minutes=15),
        "leeway": timedelta(seconds=10),
    }
    options.update(changes)
    return AccessTokens(**options)  # type: ignore[arg-type]


def test_issued_tokens_carry_every_claim() -> None:
    """An issued token has sub, role, iss, aud, iat, nbf, exp (15 min on), jti; header HS256."""
    user_id = uuid.uuid4()
    token = _tokens().issue(user_id, "admin")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="aud-a")
    assert set(claims) == set(REQUIRED_CLAIMS)
    assert (claims["sub"], claims["role"], claims["iss"]) == (str(user_id), "admin", "iss-a")
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["nbf"] == claims["iat"]


def test_decode_returns_the_claims() -> None:
    """A token decodes to its user, role and id."""
    tokens = _tokens()
    user_id = uuid.uuid4()
    claims = tokens.decode(tokens.issue(user_id, "user"))
    assert (claims.user_id, claims.role) == (user_id, Role.USER)


def test_every_token_has_its_own_id() -> None:
    """Two tokens issued at once differ (``jti``)."""
    tokens = _tokens()
    user_id = uuid.uuid4()
    assert (
        tokens.decode(tokens.issue(user_id, "user")).token_id
        != tokens.decode(tokens.issue(user_id, "user")).token_id
    )


@pytest.mark.parametrize(
    "other",
    [
        {"secret": "another-secret-" + "o" * 32},
        {"issuer": "iss-b"},
        {"audience": "aud-b"},
    ],
    ids=["secret", "issuer", "audience"],
)
def test_a_token_of_another_configuration_is_refused(other: dict[str, object]) -> None:
    """Another key, issuer or audience: InvalidTokenError."""
    token = _tokens(**other).issue(uuid.uuid4(), "user")
    with pytest.raises(InvalidTokenError):
        _tokens().decode(token)


def test_the_leeway_is_honoured_and_bounded() -> None:
    """Expired 5 s ago passes a 10 s leeway; expired 30 s ago does not."""
    tokens = _tokens()
    ago = datetime.now(UTC) - timedelta(minutes=15)
    assert tokens.decode(tokens.issue(uuid.uuid4(), "user", now=ago + timedelta(seconds=-5 + 10)))
    with pytest.raises(InvalidTokenError):
        tokens.decode(tokens.issue(uuid.uuid4(), "user", now=ago - timedelta(seconds=30)))


def test_refresh_tokens_are_random_and_stored_as_sha256() -> None:
    """Refresh tokens are 43 URL-safe characters, unique; their hash is SHA-256 hex."""
    token, token_hash = new_refresh_token()
    other, _ = new_refresh_token()
    assert len(token) == 43
    assert token != other
    assert token_hash == hash_refresh_token(token)
    assert len(token_hash) == 64
    assert token not in token_hash
