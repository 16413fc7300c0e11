"""The User Service's app factory: ``uvicorn --factory backbone.mocks.users:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from backbone.mocks._common import build_mock_app
from backbone.mocks.users.config import UsersSettings, get_settings
from backbone.mocks.users.routes import router
from backbone.mocks.users.store import new_user_store

DESCRIPTION = (
    "A small but real user store, plus the endpoints a reverse proxy has to carry. "
    "See contracts/openapi/users.yaml."
)
TAGS = [{"name": "users"}, {"name": "fixtures"}, {"name": "operations"}]


def create_app(settings: UsersSettings | None = None) -> FastAPI:
    """A fresh User Service with its own seeded store (settings from the environment)."""
    return build_mock_app(
        title="backbone User Service (mock)",
        description=DESCRIPTION,
        tags=TAGS,
        settings=settings or get_settings(),
        store=new_user_store(),
        router=router,
    )
