"""How the GitHub client authenticates: a personal access token, or a GitHub App.

A GitHub App (GitHub's "Authenticating as a GitHub App installation"):

1. a JWT signed RS256 with the App's private key: ``iss`` the App's id, ``iat`` 60 s in
   the past (GitHub's advice against clock drift), ``exp`` 9 minutes ahead (GitHub
   refuses more than 10);
2. ``GET /repos/{owner}/{repo}/installation`` with it: the installation on that
   repository (cached per repository);
3. ``POST /app/installations/{id}/access_tokens`` with it: an installation token, valid
   an hour, cached until :data:`REFRESH_MARGIN` before its ``expires_at``.

Concurrent requests wait on one lock while a token is minted: one mint, not one per
request. Every credential is a :class:`~pydantic.SecretStr` until the header is built.

Who writes: a token's comments are by its account (``GET /user`` → ``login``); an App's
by its bot, ``{slug}[bot]`` (``GET /app`` with the JWT → ``slug``; ``GET /user`` refuses
an installation token).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, TypeAdapter

from backbone.review.github._errors import GitHubAuthError
from backbone.review.github._http import parse
from backbone.review.github._models import RepoRef

if TYPE_CHECKING:
    from backbone.review.config import ReviewSettings

__all__ = ["REFRESH_MARGIN", "AppAuth", "AppRequests", "GitHubAuth", "TokenAuth"]

JWT_BACKDATE = 60
"""``iat`` this many seconds in the past: GitHub's advice against clock drift."""
JWT_LIFETIME = 9 * 60
"""``exp`` this many seconds ahead (GitHub refuses a JWT that lives over 10 minutes)."""
REFRESH_MARGIN = 120.0
"""An installation token is replaced this many seconds before it expires."""


class AppRequests(Protocol):
    """What a credential needs of the client (an App's token, an account's login): a
    request with a given ``Authorization``, its JSON back."""

    async def json(
        self, method: str, url: str, *, authorization: str | None, idempotent: bool = False
    ) -> Any:
        """Send, expect a 2xx (else raise a GitHubError), return the JSON; ``idempotent``
        lets a POST be retried like a GET."""
        ...


class GitHubAuth(Protocol):
    """A source of the ``Authorization`` header for requests on one repository."""

    async def authorization(self, api: AppRequests, repo: RepoRef) -> str:
        """The header's value (``Bearer ...``)."""
        ...

    def invalidate(self, repo: RepoRef) -> bool:
        """Forget the credential of ``repo`` after a 401; True if a new one may work."""
        ...

    async def login(self, api: AppRequests) -> str:
        """The login GitHub records as the author of what this credential writes."""
        ...


@dataclass(frozen=True, slots=True)
class TokenAuth:
    """A personal access token (or any token GitHub accepts as ``Bearer``)."""

    token: SecretStr

    async def authorization(self, api: AppRequests, repo: RepoRef) -> str:
        return f"Bearer {self.token.get_secret_value()}"

    def invalidate(self, repo: RepoRef) -> bool:
        return False  # the same token again would be refused again

    async def login(self, api: AppRequests) -> str:
        authorization = f"Bearer {self.token.get_secret_value()}"
        data = await api.json("GET", "/user", authorization=authorization)
        return parse(data, _ACCOUNT, what="GET /user").login


class _Installation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int = Field(ge=1)


class _Token(BaseModel):
    model_config = ConfigDict(extra="ignore")

    token: SecretStr = Field(min_length=1)
    expires_at: AwareDatetime


class _Account(BaseModel):
    model_config = ConfigDict(extra="ignore")

    login: str = Field(min_length=1)


class _App(BaseModel):
    model_config = ConfigDict(extra="ignore")

    slug: str = Field(min_length=1)


_INSTALLATION = TypeAdapter(_Installation)
_TOKEN = TypeAdapter(_Token)
_ACCOUNT = TypeAdapter(_Account)
_APP = TypeAdapter(_App)


class AppAuth:
    """A GitHub App: installation tokens minted with a JWT, cached until near expiry.

    ``private_key`` is the App's RSA key in PEM; a key that does not load raises
    ValueError here, not at the first request. ``clock`` (epoch seconds) is injectable.
    """

    def __init__(
        self,
        app_id: int,
        private_key: SecretStr,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if app_id < 1:
            raise ValueError("a GitHub App id is a positive integer")
        self.app_id = app_id
        self._key = _load_key(private_key)
        self._clock = clock
        self._installations: dict[RepoRef, int] = {}
        self._tokens: dict[int, _Token] = {}
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AppAuth(app_id={self.app_id})"

    def app_jwt(self) -> str:
        """A JWT that authenticates as the App itself (for the installation, its token
        and ``GET /app``)."""
        now = int(self._clock())
        claims = {"iat": now - JWT_BACKDATE, "exp": now + JWT_LIFETIME, "iss": str(self.app_id)}
        return jwt.encode(claims, self._key, algorithm="RS256")

    async def authorization(self, api: AppRequests, repo: RepoRef) -> str:
        token = self._cached(repo)
        if token is None:
            async with self._lock:
                # Whoever held the lock may have minted it meanwhile.
                token = self._cached(repo)
                if token is None:
                    token = await self._mint(api, repo)
        return f"Bearer {token.get_secret_value()}"

    def invalidate(self, repo: RepoRef) -> bool:
        installation = self._installations.pop(repo, None)
        if installation is not None:
            self._tokens.pop(installation, None)
        return True

    async def login(self, api: AppRequests) -> str:
        data = await api.json("GET", "/app", authorization=f"Bearer {self.app_jwt()}")
        return f"{parse(data, _APP, what='GET /app').slug}[bot]"

    def _cached(self, repo: RepoRef) -> SecretStr | None:
        installation = self._installations.get(repo)
        token = None if installation is None else self._tokens.get(installation)
        if token is None or token.expires_at.timestamp() - REFRESH_MARGIN <= self._clock():
            return None
        return token.token

    async def _mint(self, api: AppRequests, repo: RepoRef) -> SecretStr:
        app = f"Bearer {self.app_jwt()}"
        installation = self._installations.get(repo)
        if installation is None:
            url = f"/repos/{repo.owner}/{repo.name}/installation"
            data = await api.json("GET", url, authorization=app)
            installation = parse(data, _INSTALLATION, what=f"GET {url}").id
            self._installations[repo] = installation
        url = f"/app/installations/{installation:d}/access_tokens"
        # Minting again after a lost answer only makes a second, unused token: retry it.
        data = await api.json("POST", url, authorization=app, idempotent=True)
        token = parse(data, _TOKEN, what=f"POST {url}")
        self._tokens[installation] = token
        return token.token


def auth_from_settings(settings: ReviewSettings) -> GitHubAuth | None:
    """The credential the settings describe (an App wins over a token), or None.

    The App's private key file is read here: GitHubAuthError if it cannot be.
    """
    if settings.github_app_id is not None and settings.github_private_key_file is not None:
        path = settings.github_private_key_file
        try:
            pem = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GitHubAuthError(f"cannot read the GitHub App's private key {path}") from exc
        return AppAuth(settings.github_app_id, SecretStr(pem))
    if settings.github_token is not None:
        return TokenAuth(settings.github_token)
    return None


def _load_key(private_key: SecretStr) -> RSAPrivateKey:
    try:
        key = load_pem_private_key(private_key.get_secret_value().encode(), password=None)
    except (ValueError, TypeError):
        # The parser's own message is kept out: it never needs the key's text.
        raise ValueError("the GitHub App's private key is not an unencrypted PEM key") from None
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the GitHub App's private key is not an RSA key (RS256 needs one)")
    return key
