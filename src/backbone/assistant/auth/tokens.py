"""Access tokens (JWT, one pinned algorithm) and refresh tokens (opaque, stored hashed).

An access token says who (``sub``: the user id, ``role``), for whom (``aud``), from whom
(``iss``), when (``iat``, ``nbf``, ``exp``) and which (``jti``). Decoding accepts only
the pinned algorithm — ``none``, RS256, HS512 and the rest are refused before any key is
used, so a token "signed" with something that looks like a public key is just a bad
signature — and requires every one of those claims, with a small leeway for clocks.

A refresh token is 32 random bytes (URL-safe base64): it means nothing by itself, and the
database keeps only its SHA-256, so a leaked table holds no usable token.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from backbone.assistant.auth.models import Role, utcnow

__all__ = [
    "REQUIRED_CLAIMS",
    "AccessClaims",
    "AccessTokens",
    "InvalidTokenError",
    "hash_refresh_token",
    "new_refresh_token",
]

REQUIRED_CLAIMS = ("sub", "exp", "iat", "nbf", "iss", "aud", "jti", "role")


class InvalidTokenError(Exception):
    """The access token is not one this service issued and still accepts (401)."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a valid access token says."""

    user_id: uuid.UUID
    role: Role
    token_id: str
    expires_at: datetime


class AccessTokens:
    """Issues and checks access tokens with one key, one algorithm, one issuer and audience."""

    def __init__(
        self,
        *,
        secret: str,
        algorithm: str,
        issuer: str,
        audience: str,
        lifetime: timedelta,
        leeway: timedelta,
    ) -> None:
        self._secret = secret
        self.algorithm = algorithm
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self.leeway = leeway

    @property
    def expires_in(self) -> int:
        """Seconds an access token is valid for."""
        return int(self.lifetime.total_seconds())

    def issue(self, user_id: uuid.UUID, role: str, *, now: datetime | None = None) -> str:
        """A signed access token for ``user_id`` with ``role``."""
        now = now or utcnow()
        claims = {
            "sub": str(user_id),
            "role": role,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=self.algorithm)

    def decode(self, token: str) -> AccessClaims:
        """The claims of ``token``; :class:`InvalidTokenError` for anything not accepted."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS), "strict_aud": True},
            )
            return AccessClaims(
                user_id=uuid.UUID(str(claims["sub"])),
                role=Role(claims["role"]),
                token_id=str(claims["jti"]),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo),
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidTokenError(type(exc).__name__) from exc


def new_refresh_token() -> tuple[str, str]:
    """A fresh refresh token and its hash (store the hash, give out the token)."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    """SHA-256 of ``token``, hex: how the database finds it without holding it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
