"""Who may call the fake: the configured token, an installation token it issued, or (on
the App's endpoints) a JWT the App signed.

GitHub's rules for an App JWT, as its API enforces them: signed RS256 with the App's
key, ``iss`` the App's id, ``iat`` not in the future, ``exp`` in the future and at most
10 minutes ahead (GitHub's own documentation backdates ``iat`` by 60 seconds, so what is
bounded is ``exp`` against the current time, not ``exp - iat``). Installation tokens
(``ghs_…``) last one hour.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from backbone.mocks.github.errors import GitHubError
from backbone.mocks.github.traffic import Clock

INSTALLATION_TOKEN_SECONDS = 3600
JWT_MAX_SECONDS = 600
IAT_LEEWAY_SECONDS = 5
"""A JWT issued this many seconds "in the future" is still accepted (rounding, drift)."""

_UNDECODABLE = "A JSON web token could not be decoded"
_EXPIRED = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time "
    "at which the assertion expires"
)
_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
_IAT = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"  # noqa: E501 - GitHub's message


def presented_token(authorization: str | None) -> str | None:
    """The credential of an ``Authorization: Bearer <t>`` or ``token <t>`` header."""
    scheme, _, credential = (authorization or "").strip().partition(" ")
    if scheme.lower() not in {"bearer", "token"} or not credential.strip():
        return None
    return credential.strip()


def requires_authentication() -> GitHubError:
    return GitHubError(401, "Requires authentication")


def bad_credentials() -> GitHubError:
    return GitHubError(401, "Bad credentials")


class InstallationTokens:
    """The installation tokens issued, each until it expires (not cleared by a reset:
    a client's cached token stays good for its hour, as on GitHub)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._expiry: dict[str, float] = {}

    def issue(self) -> tuple[str, float]:
        """A new token and when it expires (epoch seconds, one hour from now)."""
        now = self.clock.now()
        self._expiry = {token: at for token, at in self._expiry.items() if at > now}
        token = f"ghs_{secrets.token_hex(18)}"
        expires_at = float(int(now) + INSTALLATION_TOKEN_SECONDS)
        self._expiry[token] = expires_at
        return token, expires_at

    def valid(self, token: str) -> bool:
        """True for a token this fake issued that has not expired."""
        expires_at = self._expiry.get(token)
        return expires_at is not None and self.clock.now() < expires_at


Holder = Literal["user", "installation"]
"""Whose credential it is: the account's (the configured token) or the App installation's."""


def check_token(authorization: str | None, *, token: str, tokens: InstallationTokens) -> Holder:
    """Accept the configured token or a live installation token, saying which; else
    GitHub's 401."""
    credential = presented_token(authorization)
    if credential is None:
        raise requires_authentication()
    if hmac.compare_digest(credential.encode(), token.encode()):
        return "user"
    if tokens.valid(credential):
        return "installation"
    raise bad_credentials()


AppKey = RSAPublicKey


def load_app_key(path: Path) -> AppKey:
    """The App's public key from a PEM file (a private key's PEM gives its public half)."""
    pem = path.read_bytes()
    if b"PRIVATE KEY" in pem:
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, RSAPrivateKey):
            raise ValueError(f"{path}: not an RSA key (GitHub Apps use RSA)")
        return private.public_key()
    public = serialization.load_pem_public_key(pem)
    if not isinstance(public, RSAPublicKey):
        raise ValueError(f"{path}: not an RSA key (GitHub Apps use RSA)")
    return public


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def verify_app_jwt(
    authorization: str | None, *, key: AppKey | None, app_id: int, now: float
) -> dict[str, Any]:
    """The claims of a valid App JWT; GitHub's 401 (and its message) otherwise."""
    credential = presented_token(authorization)
    if credential is None:
        raise requires_authentication()
    if key is None:
        raise GitHubError(401, _UNDECODABLE)
    try:
        claims: dict[str, Any] = jwt.decode(
            credential,
            key,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidTokenError:
        raise GitHubError(401, _UNDECODABLE) from None
    exp, iat = _number(claims, "exp"), _number(claims, "iat")
    if exp is None or exp <= now:
        raise GitHubError(401, _EXPIRED)
    if exp > now + JWT_MAX_SECONDS:
        raise GitHubError(401, _TOO_FAR)
    if iat is None or iat > now + IAT_LEEWAY_SECONDS:
        raise GitHubError(401, _IAT)
    if str(claims.get("iss")) != str(app_id):
        raise GitHubError(401, _UNDECODABLE)  # GitHub checks it against that App's key
    return claims
