"""Settings of the fake GitHub (the core settings plus ``BACKBONE_GITHUB_FAKE_*``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from backbone.core.config import CoreSettings
from backbone.mocks.github.schemas import LOGIN_PATTERN

DEFAULT_PORT = 9004
DEFAULT_TOKEN = "fake-github-token"  # noqa: S105 - the fake's well-known demo token
DEFAULT_BOT_LOGIN = "backbone-review[bot]"


class GitHubFakeSettings(CoreSettings):
    """``BACKBONE_GITHUB_FAKE_*`` variables: the credentials the fake accepts, and who it
    says wrote the comments."""

    model_config = SettingsConfigDict(
        env_prefix="BACKBONE_GITHUB_FAKE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    token: SecretStr = SecretStr(DEFAULT_TOKEN)
    """The personal access token every GitHub endpoint accepts (``Bearer`` or ``token``)."""
    app_id: int = Field(default=1, ge=1)
    """The GitHub App's id: an App JWT's ``iss`` must be this."""
    app_public_key_file: Path | None = None
    """The App's public key (PEM). Without one, every App JWT is refused (401)."""
    installation_id: int = Field(default=1, ge=1)
    """The App's one installation, on every repository."""
    bot_login: str = Field(default=DEFAULT_BOT_LOGIN, pattern=LOGIN_PATTERN)
    """The account the configured token writes comments and reviews as (``GET /user``); a
    login ending in ``[bot]`` is a bot account, and the App's slug is it without the
    suffix (``GET /app``)."""
    web_url: str = "https://github.com"
    """Where ``html_url`` links point (the API's own URLs point at the fake itself)."""
    rate_limit: int = Field(default=5000, ge=1)
    """Requests an hour before the fake answers 403 (GitHub's limit for a token)."""

    max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=0, validation_alias="max_body_bytes")
    """Room for ``POST /_fake/pulls`` bodies that carry files over 1 MB."""

    @property
    def app_slug(self) -> str:
        """The App's slug: the bot login without its ``[bot]`` suffix."""
        return self.bot_login.removesuffix("[bot]")

    @property
    def app_login(self) -> str:
        """Who the App's installation tokens write as: ``{slug}[bot]``, as on GitHub (the
        same as ``bot_login`` unless that names a personal account)."""
        return f"{self.app_slug}[bot]"

    @field_validator("web_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("web_url must be an http(s) URL")
        return value.rstrip("/")


@lru_cache
def get_settings() -> GitHubFakeSettings:
    """The fake GitHub's settings, read once."""
    return GitHubFakeSettings()
