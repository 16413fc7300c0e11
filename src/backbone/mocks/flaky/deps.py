"""Dependency aliases of the flaky service (tests override them through the app)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from backbone.mocks._common import require_media_type
from backbone.mocks.flaky.config import FlakySettings
from backbone.mocks.flaky.store import PatternStore


async def get_store(request: Request) -> PatternStore:
    """The app's pattern store."""
    store: PatternStore = request.app.state.store
    return store


async def get_flaky_settings(request: Request) -> FlakySettings:
    """The settings the app was created with."""
    settings: FlakySettings = request.app.state.settings
    return settings


require_json = require_media_type("application/json")
"""415 unless the request says its body is ``application/json`` (400 unless UTF-8)."""

StoreDep = Annotated[PatternStore, Depends(get_store)]
SettingsDep = Annotated[FlakySettings, Depends(get_flaky_settings)]
