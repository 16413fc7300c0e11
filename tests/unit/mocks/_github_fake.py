"""Helpers for the fake GitHub's tests: an app, a client over ASGI, RSA keys and JWTs."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from jwt import api_jws as jws

from backbone.mocks.github import create_app
from backbone.mocks.github.config import DEFAULT_TOKEN, GitHubFakeSettings
from backbone.mocks.github.store import FakeGitHub

AUTH = {"Authorization": f"token {DEFAULT_TOKEN}"}
REPO = "/repos/octo-org/hello-world"
PULL = f"{REPO}/pulls/1"
APP_ID = 4242
RAW = "application/vnd.github.raw+json"


def make_app(**settings: Any) -> FastAPI:
    """A fresh fake GitHub, its settings from the arguments only (no environment file)."""
    return create_app(GitHubFakeSettings(_env_file=None, **settings))


def store_of(app: FastAPI) -> FakeGitHub:
    store: FakeGitHub = app.state.store
    return store


@contextlib.asynccontextmanager
async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://github.fake") as client:
        yield client


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_public_key(key: rsa.RSAPrivateKey, path: Path) -> Path:
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.write_bytes(pem)
    return path


def app_jwt(
    key: rsa.RSAPrivateKey,
    *,
    iss: object = APP_ID,
    iat: float | None = None,
    exp: float | None = None,
    algorithm: str = "RS256",
    secret: str | None = None,
) -> str:
    """An App JWT as GitHub's documentation builds it (iat 60 s back, exp 10 min ahead)."""
    now = int(time.time())
    claims = {
        "iat": now - 60 if iat is None else iat,
        "exp": now + 600 if exp is None else exp,
        "iss": iss,
    }
    # Through JWS: PyJWT's own encoder refuses an integer ``iss``, which GitHub accepts.
    signing_key = secret if secret is not None else key
    return jws.encode(json.dumps(claims).encode(), signing_key, algorithm=algorithm)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
