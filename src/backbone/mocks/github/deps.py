"""Dependency aliases of the fake GitHub (tests override them through the app)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from backbone.mocks.github.auth import AppKey, check_token, verify_app_jwt
from backbone.mocks.github.config import GitHubFakeSettings
from backbone.mocks.github.render import Urls
from backbone.mocks.github.store import FakeGitHub


async def get_store(request: Request) -> FakeGitHub:
    """The app's fake GitHub state."""
    store: FakeGitHub = request.app.state.store
    return store


async def get_fake_settings(request: Request) -> GitHubFakeSettings:
    """The settings the app was created with."""
    settings: GitHubFakeSettings = request.app.state.settings
    return settings


StoreDep = Annotated[FakeGitHub, Depends(get_store)]
SettingsDep = Annotated[GitHubFakeSettings, Depends(get_fake_settings)]


async def get_urls(request: Request, settings: SettingsDep) -> Urls:
    """The API's URL as this request reached it, and the configured web URL."""
    return Urls(api=str(request.base_url).rstrip("/"), web=settings.web_url)


async def require_token(request: Request, store: StoreDep, settings: SettingsDep) -> None:
    """GitHub's 401 unless the request carries the configured or an installation token."""
    check_token(
        request.headers.get("authorization"),
        token=settings.token.get_secret_value(),
        tokens=store.tokens,
    )


async def get_author(request: Request, store: StoreDep, settings: SettingsDep) -> str:
    """Who a write by this request is authored by: the account for the configured token,
    ``{slug}[bot]`` for an installation token (GitHub's 401 for anything else)."""
    holder = check_token(
        request.headers.get("authorization"),
        token=settings.token.get_secret_value(),
        tokens=store.tokens,
    )
    return settings.bot_login if holder == "user" else settings.app_login


async def require_app_jwt(
    request: Request, store: StoreDep, settings: SettingsDep
) -> dict[str, Any]:
    """The claims of the App JWT the request carries; GitHub's 401 otherwise."""
    key: AppKey | None = request.app.state.app_key
    return verify_app_jwt(
        request.headers.get("authorization"),
        key=key,
        app_id=settings.app_id,
        now=store.clock.now(),
    )


UrlsDep = Annotated[Urls, Depends(get_urls)]
TokenAuth = Depends(require_token)
"""For ``dependencies=[TokenAuth]``: the configured token or an installation token."""
AppJwt = Annotated[dict[str, Any], Depends(require_app_jwt)]
Author = Annotated[str, Depends(get_author)]
"""The login a comment or review written by the request is authored by."""
