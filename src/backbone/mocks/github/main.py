"""The fake GitHub's app factory: ``uvicorn --factory backbone.mocks.github:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from backbone.mocks._common import build_mock_app
from backbone.mocks.github.auth import load_app_key, presented_token
from backbone.mocks.github.config import GitHubFakeSettings, get_settings
from backbone.mocks.github.errors import install_github_error_handlers
from backbone.mocks.github.render import account_id
from backbone.mocks.github.routes import router
from backbone.mocks.github.store import FakeGitHub
from backbone.mocks.github.traffic import GitHubTrafficMiddleware

DESCRIPTION = (
    "A fake GitHub REST API at the protocol level: pull requests, their files and "
    "contents, issue comments and reviews, the App token flow, rate limits. "
    "`/_fake/` sets it up for tests and demos."
)
TAGS = [
    {"name": "pulls"},
    {"name": "issues"},
    {"name": "repos"},
    {"name": "apps"},
    {"name": "users"},
    {"name": "fake"},
    {"name": "operations"},
]


def create_app(settings: GitHubFakeSettings | None = None) -> FastAPI:
    """A fresh fake GitHub holding the seed (settings from the environment)."""
    settings = settings or get_settings()
    store = FakeGitHub(bot_login=settings.bot_login, rate_limit=settings.rate_limit)
    app = build_mock_app(
        title="backbone fake GitHub",
        description=DESCRIPTION,
        tags=TAGS,
        settings=settings,
        store=store,
        router=router,
    )
    key_file = settings.app_public_key_file
    app.state.app_key = load_app_key(key_file) if key_file is not None else None
    install_github_error_handlers(app)
    user = f"user ID {account_id(settings.bot_login)}"
    installation = f"installation ID {settings.installation_id}"

    def identify(authorization: str | None) -> str:
        """Who GitHub's rate-limit message names."""
        token = presented_token(authorization) or ""
        return installation if token.startswith("ghs_") else user

    app.add_middleware(GitHubTrafficMiddleware, traffic=store.traffic, identify=identify)
    return app
