"""Settings of the User Service (the core settings plus the bounds of its fixtures)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from backbone.core.config import CoreSettings


class UsersSettings(CoreSettings):
    """``BACKBONE_USERS_*`` variables cap how long one call to a fixture may take."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    max_delay_seconds: float = Field(
        default=60.0, ge=0, validation_alias="BACKBONE_USERS_MAX_DELAY_SECONDS"
    )
    """``/users/slow`` never waits longer than this, whatever its ``delay`` says."""

    max_export_pause_seconds: float = Field(
        default=0.1, ge=0, validation_alias="BACKBONE_USERS_MAX_EXPORT_PAUSE_SECONDS"
    )
    """``/users/export.ndjson`` never pauses longer than this between chunks."""


@lru_cache
def get_settings() -> UsersSettings:
    """The User Service's settings, read once."""
    return UsersSettings()
