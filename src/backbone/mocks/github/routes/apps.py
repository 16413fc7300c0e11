"""The GitHub App's endpoints (JWT auth) and ``GET /rate_limit``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from backbone.mocks.github import render
from backbone.mocks.github.deps import AppJwt, SettingsDep, StoreDep, TokenAuth, UrlsDep
from backbone.mocks.github.errors import not_found
from backbone.mocks.github.routes._http import github_json, parse_body
from backbone.mocks.github.schemas import AccessTokenBody

logger = logging.getLogger(__name__)

router = APIRouter(tags=["apps"])

APPS_DOCS = "https://docs.github.com/rest/apps/apps"


@router.get("/app", summary="Get the authenticated app.")
async def get_app(_claims: AppJwt, settings: SettingsDep, urls: UrlsDep) -> Response:
    return github_json(render.github_app(urls, app_id=settings.app_id, slug=settings.app_slug))


@router.post(
    "/app/installations/{installation_id}/access_tokens",
    status_code=201,
    summary="Create an installation access token for an app.",
)
async def create_access_token(
    installation_id: int,
    request: Request,
    claims: AppJwt,
    store: StoreDep,
    settings: SettingsDep,
) -> Response:
    if installation_id != settings.installation_id:
        raise not_found(APPS_DOCS)
    await parse_body(request, AccessTokenBody)
    token, expires_at = store.tokens.issue()
    logger.info(
        "github_fake_installation_token installation_id=%d iss=%s", installation_id, claims["iss"]
    )
    body = {
        "token": token,
        "expires_at": render.timestamp(datetime.fromtimestamp(expires_at, UTC)),
        "permissions": render.INSTALLATION_PERMISSIONS,
        "repository_selection": "all",
    }
    return github_json(body, status=201)


@router.get(
    "/repos/{owner}/{repo}/installation", summary="Get a repository installation for the app."
)
async def get_installation(
    owner: str, repo: str, _claims: AppJwt, store: StoreDep, settings: SettingsDep, urls: UrlsDep
) -> Response:
    body = render.installation(
        store.repo(owner, repo),
        urls,
        installation_id=settings.installation_id,
        app_id=settings.app_id,
        app_slug=settings.app_slug,
    )
    return github_json(body)


@router.get("/rate_limit", dependencies=[TokenAuth], summary="Get rate limit status.")
async def get_rate_limit(store: StoreDep) -> Response:
    core = {**store.traffic.window(), "resource": "core"}
    return github_json({"resources": {"core": core}, "rate": core})
