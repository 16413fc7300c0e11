"""Settings of the Order Service (the core settings; it has no bounds of its own yet)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from backbone.core.config import CoreSettings


class OrdersSettings(CoreSettings):
    """The core settings (log level, body limit...), read as every service reads them."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )


@lru_cache
def get_settings() -> OrdersSettings:
    """The Order Service's settings, read once."""
    return OrdersSettings()
