"""``GET /user``: the account the configured token belongs to."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from backbone.mocks.github import render
from backbone.mocks.github.auth import check_token
from backbone.mocks.github.deps import SettingsDep, StoreDep, UrlsDep
from backbone.mocks.github.errors import GitHubError
from backbone.mocks.github.routes._http import github_json

router = APIRouter(tags=["users"])

USER_DOCS = "https://docs.github.com/rest/users/users#get-the-authenticated-user"


@router.get("/user", summary="Get the authenticated user.")
async def get_user(
    request: Request, store: StoreDep, settings: SettingsDep, urls: UrlsDep
) -> Response:
    holder = check_token(
        request.headers.get("authorization"),
        token=settings.token.get_secret_value(),
        tokens=store.tokens,
    )
    if holder == "installation":
        # As on GitHub: an installation is no user (an App asks GET /app with its JWT).
        raise GitHubError(
            403, "Resource not accessible by integration", documentation_url=USER_DOCS
        )
    return github_json(render.user(settings.bot_login, urls))
