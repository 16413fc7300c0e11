"""Settings of the flaky service (the core settings plus its own bounds)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from backbone.core.config import CoreSettings


class FlakySettings(CoreSettings):
    """``BACKBONE_FLAKY_*`` variables bound what one mock instance may be asked to do."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    max_hang_seconds: float = Field(
        default=300.0, ge=0, validation_alias="BACKBONE_FLAKY_MAX_HANG_SECONDS"
    )
    """A hanging call never waits longer than this, whatever its pattern says."""

    max_keys: int = Field(default=100_000, ge=1, validation_alias="BACKBONE_FLAKY_MAX_KEYS")
    """Keys kept in memory; the least recently used are forgotten past this."""


@lru_cache
def get_settings() -> FlakySettings:
    """The flaky service's settings, read once."""
    return FlakySettings()
