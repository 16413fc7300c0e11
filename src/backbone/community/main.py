"""The CRM API's app factory: ``backbone serve community`` (port 8004) runs it.

Read-only: the bot writes the member records, people read them here with the API token.
Building the app needs no PostgreSQL: nothing connects until the first request.
"""

from __future__ import annotations

from fastapi import FastAPI

from backbone import __version__
from backbone.community.config import CommunitySettings, get_settings
from backbone.community.deps import CrmDatabase
from backbone.community.routes import router
from backbone.core.app import create_service_app
from backbone.core.logging import configure_logging, mask_secret

__all__ = ["create_app"]

DESCRIPTION = (
    "The community bot's member records, read-only: members by status, one member with the "
    "messages that made them a lead, and a CSV export. See contracts/openapi/community.yaml."
)
TAGS = [
    {"name": "members", "description": "The CRM's member records."},
    {"name": "operations"},
]


def create_app(settings: CommunitySettings | None = None) -> FastAPI:
    """The CRM API (settings from the environment by default)."""
    settings = settings or get_settings()
    if settings.database_url is None:
        raise ValueError("the community CRM API needs DATABASE_URL")
    configure_logging(level=settings.log_level, fmt=settings.log_format, file=settings.log_file)
    mask_secret(settings.api_token.get_secret_value())
    database = CrmDatabase(settings.database_url.get_secret_value())
    app = create_service_app(
        title="backbone community CRM",
        version=__version__,
        settings=settings,
        readiness_checks={"database": database.ping},
        lifespan=database.lifespan,
        description=DESCRIPTION,
        openapi_tags=TAGS,
    )
    app.state.database = database
    app.include_router(router)
    return app
