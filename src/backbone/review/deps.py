"""Dependency aliases of the review API (tests override them through the app)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from backbone.core.bearer import require_bearer
from backbone.jobs import JobsApi
from backbone.review.config import ReviewSettings

__all__ = ["JobsDep", "ReaderDep", "SettingsDep", "require_reader"]


# Async although they do not await: FastAPI runs a plain ``def`` dependency in a thread.
async def get_review_settings(request: Request) -> ReviewSettings:
    """The settings the app was created with."""
    settings: ReviewSettings = request.app.state.settings
    return settings


async def get_jobs(request: Request) -> JobsApi:
    """The app's reviews: their store and queue."""
    jobs: JobsApi = request.app.state.jobs
    return jobs


SettingsDep = Annotated[ReviewSettings, Depends(get_review_settings)]
JobsDep = Annotated[JobsApi, Depends(get_jobs)]


async def require_reader(request: Request, settings: SettingsDep) -> None:
    """401 unless ``Authorization: Bearer`` carries the API token (compared in constant time)."""
    require_bearer(request, settings.api_token, api="the review API", realm="reviews")


ReaderDep = Depends(require_reader)
