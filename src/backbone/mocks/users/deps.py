"""Dependency aliases of the User Service (tests override them through the app)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from backbone.mocks._common import RecordStore
from backbone.mocks.users.config import UsersSettings
from backbone.mocks.users.schemas import User


async def get_store(request: Request) -> RecordStore[User]:
    """The app's user store."""
    store: RecordStore[User] = request.app.state.store
    return store


async def get_users_settings(request: Request) -> UsersSettings:
    """The settings the app was created with."""
    settings: UsersSettings = request.app.state.settings
    return settings


StoreDep = Annotated[RecordStore[User], Depends(get_store)]
SettingsDep = Annotated[UsersSettings, Depends(get_users_settings)]
