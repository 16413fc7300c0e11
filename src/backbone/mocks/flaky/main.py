"""The flaky service's app factory: ``uvicorn --factory backbone.mocks.flaky:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from backbone.mocks._common import build_mock_app
from backbone.mocks.flaky.config import FlakySettings, get_settings
from backbone.mocks.flaky.routes import router
from backbone.mocks.flaky.store import PatternStore

DESCRIPTION = (
    "An unreliable HTTP service whose failures are configured per key. "
    "See contracts/openapi/flaky.yaml."
)
TAGS = [{"name": "flaky"}, {"name": "patterns"}, {"name": "operations"}]


def create_app(settings: FlakySettings | None = None) -> FastAPI:
    """A fresh flaky service with its own empty store (settings from the environment)."""
    settings = settings or get_settings()
    return build_mock_app(
        title="backbone flaky service",
        description=DESCRIPTION,
        tags=TAGS,
        settings=settings,
        store=PatternStore(max_keys=settings.max_keys),
        router=router,
    )
