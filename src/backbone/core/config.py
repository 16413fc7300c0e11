"""Settings shared by every service: environment, logging, data stores, request limits.

Each service subclasses :class:`CoreSettings` (``class FlakySettings(CoreSettings)``)
and exposes its own cached ``get_settings()`` dependency that tests override.
Secrets are :class:`pydantic.SecretStr`: their ``repr`` and ``str`` show ``**********``,
so logging a settings object never leaks them. Outside ``development`` a secret that
is still a placeholder (``changeme``, ``secret``, an empty string..., or one of the
services' own development defaults, which start with :data:`DEVELOPMENT_SECRET_PREFIX`)
is refused, the error naming the variable to set.

:func:`env_list` reads a list setting from the environment: a JSON list, or
comma-separated text.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]
LogFormat = Literal["console", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "change_me", "changethis", "secret", "placeholder", "password"}
    | {"todo", "xxx", "default", "example"}
)


DEVELOPMENT_SECRET_PREFIX = "development-only-"  # noqa: S105 - a prefix, not a secret
"""How the services' development defaults for secrets begin: placeholders, refused
outside ``development`` like the well-known ones."""


def is_placeholder_secret(value: str) -> bool:
    """True when ``value`` (or the password inside a URL) is a well-known placeholder or
    a development default."""
    if value.startswith(DEVELOPMENT_SECRET_PREFIX):
        return True
    if value.strip().lower() in PLACEHOLDER_SECRETS:
        return True
    if "://" not in value:
        return False
    try:
        password = urlsplit(value).password
    except ValueError:
        return False
    return password is not None and password.strip().lower() in PLACEHOLDER_SECRETS


class CoreSettings(BaseSettings):
    """What every service reads from the environment (and from ``.env``)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", validate_default=True
    )

    # Each core setting is named by its own field name (REDIS_URL, LOG_LEVEL...): the alias
    # keeps a subclass's ``env_prefix`` (BACKBONE_REPORTS_...) off the settings every
    # service shares.
    environment: Environment = Field(default="development", validation_alias="environment")
    log_level: LogLevel = Field(default="INFO", validation_alias="log_level")
    log_format: LogFormat = Field(default="console", validation_alias="log_format")
    log_file: Path | None = Field(default=None, validation_alias="log_file")
    redis_url: str | None = Field(default=None, validation_alias="redis_url")
    database_url: SecretStr | None = Field(default=None, validation_alias="database_url")
    request_id_header: str = Field(default="X-Request-ID", validation_alias="request_id_header")
    max_body_bytes: int = Field(default=1_048_576, ge=0, validation_alias="max_body_bytes")
    max_header_bytes: int = Field(default=32_768, ge=1024, validation_alias="max_header_bytes")
    """The request line and header section together may not be larger (431)."""
    max_header_field_bytes: int = Field(
        default=8192, ge=256, validation_alias="max_header_field_bytes"
    )
    """One header field (name and value) may not be larger (431)."""
    header_timeout: float = Field(default=10.0, gt=0, validation_alias="header_timeout")
    """Seconds from a request's first byte until its headers must be complete (408)."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if self.environment == "development":
            return self
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and is_placeholder_secret(value.get_secret_value()):
                msg = (
                    f"{name} is a placeholder secret; set {self._variable(name)} to a real"
                    f" value in {self.environment}"
                )
                raise ValueError(msg)
        return self

    @classmethod
    def _variable(cls, name: str) -> str:
        """The environment variable that sets field ``name``."""
        alias = cls.model_fields[name].validation_alias
        if isinstance(alias, str):
            return alias.upper()
        prefix = str(cls.model_config.get("env_prefix") or "")
        return f"{prefix}{name}".upper()


def env_list(value: object) -> object:
    """A list setting from the environment's text (a JSON list, or comma-separated values,
    each stripped, empty ones dropped); anything else as it is. For a ``mode="before"``
    validator of a field annotated ``NoDecode``."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


@lru_cache
def get_settings() -> CoreSettings:
    """The process's core settings, read once (tests override this dependency)."""
    return CoreSettings()
