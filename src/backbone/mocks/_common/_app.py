"""One factory body for every mock service: logging, the shared plumbing, a store, routes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from backbone import __version__
from backbone.core.app import create_service_app
from backbone.core.config import CoreSettings
from backbone.core.logging import configure_logging


def build_mock_app(
    *,
    title: str,
    description: str,
    tags: Sequence[Mapping[str, Any]],
    settings: CoreSettings,
    store: object,
    router: APIRouter,
) -> FastAPI:
    """A service app (``create_service_app``) with ``store`` in ``app.state`` and ``router``."""
    configure_logging(level=settings.log_level, fmt=settings.log_format, file=settings.log_file)
    app = create_service_app(
        title=title,
        version=__version__,
        settings=settings,
        description=description,
        openapi_tags=tags,
    )
    app.state.store = store
    app.include_router(router)
    return app
