"""The community bot's settings: the Discord token, the channels, the welcome, the lead
phrases, and the CRM API's token.

Every value has a ``BACKBONE_COMMUNITY_*`` variable; the Discord token is also read from
the usual ``DISCORD_TOKEN`` (the prefixed variable wins when both are set). Like every
service's, the settings also come from ``.env`` (:class:`~backbone.core.CoreSettings`).

**Secrets.** The Discord token and the CRM API's bearer token are
:class:`~pydantic.SecretStr`: never logged, never in a ``repr``. The API token's
development default, and any placeholder (``changeme``...) for either, are refused
outside ``development``. No Discord token (or a blank one) means the bot does not start;
the CRM API runs without it.

**Lists.** ``LEAD_CHANNELS`` and ``LEAD_PHRASES`` are comma-separated or a JSON list.
Channel names may be written with their ``#``. The phrase rules' syntax is
:mod:`backbone.community.leads`'s; a bad rule, like a bad welcome template
(:mod:`backbone.community.welcome`), stops the settings loading with the reason.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from backbone.community.leads import DEFAULT_LEAD_PHRASES, PhraseMatcher
from backbone.community.welcome import validate_welcome_template
from backbone.core.config import CoreSettings, env_list

__all__ = [
    "DEFAULT_WELCOME_TEMPLATE",
    "DEVELOPMENT_API_TOKEN",
    "CommunitySettings",
    "get_settings",
]

DEVELOPMENT_API_TOKEN = "development-only-community-token-change-me"  # noqa: S105
"""The CRM API's development default: refused outside ``development``."""
DEFAULT_WELCOME_TEMPLATE = (
    "Welcome to {server}, {mention}! Great to have you here, {name}: you are member"
    " number {member_count}. Tell us a little about yourself and what brings you here."
)
_MAX_CHANNEL_CHARS = 100
"""Discord's limit on a channel's name."""


def _channel_name(value: str) -> str:
    name = value.strip().removeprefix("#")
    if not name or len(name) > _MAX_CHANNEL_CHARS or any(char.isspace() for char in name):
        raise ValueError(
            f"a channel name is 1 to {_MAX_CHANNEL_CHARS} characters without spaces, not {value!r}"
        )
    return name


class CommunitySettings(CoreSettings):
    """``BACKBONE_COMMUNITY_*`` (and the core) settings of the bot and the CRM API."""

    model_config = SettingsConfigDict(env_prefix="BACKBONE_COMMUNITY_", hide_input_in_errors=True)

    discord_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("BACKBONE_COMMUNITY_DISCORD_TOKEN", "DISCORD_TOKEN"),
    )
    """The bot's token (Discord developer portal, Bot tab); None: the bot does not start."""

    # -- channels and roles
    welcome_channel: str = "introductions"
    lead_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["general-chat", "product-questions"]
    )
    """Channels watched for lead phrases; the first is what ``!summarize-day`` reads by
    default."""
    report_channel: str = "admin-reports"
    """Where ``!summarize-day`` posts its summary."""
    admin_role: str | None = None
    """The role whose members may run admin commands; None: members with Manage Server."""

    # -- onboarding and leads
    welcome_template: str = DEFAULT_WELCOME_TEMPLATE
    """``{mention}``, ``{name}``, ``{server}``, ``{member_count}``; at most 1,500 characters."""
    lead_phrases: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_LEAD_PHRASES)
    )
    """Phrase rules such as ``how (do|can) i buy`` (see :mod:`backbone.community.leads`)."""

    lead_acknowledgement: str | None = Field(default=None, max_length=500)
    """A short reply to a message that made its author a hot lead; None: no reply."""
    lead_role: str | None = None
    """A role (name or id) given to hot leads; None: none. Needs Manage Roles."""

    # -- the bot's background work and commands
    reconcile_interval_seconds: float = Field(default=300.0, ge=30.0, le=86_400.0)
    """How often the member list and failed lead writes are reconciled with the CRM."""
    summary_cap: int = Field(default=5000, ge=1, le=50_000)
    """The most messages ``!summarize-day`` reads (the summary says when it hit it)."""
    application_id: int | None = Field(default=None, gt=0)
    """The Discord application's id, for ``backbone bot invite-url``."""
    data_dir: Path = Path(".backbone/community")
    """CrewAI's storage for the summariser (``<data_dir>/crewai``)."""

    # -- the CRM API
    api_token: SecretStr = SecretStr(DEVELOPMENT_API_TOKEN)
    """The bearer token of the read-only CRM API."""

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # ``DISCORD_TOKEN=`` left empty in a .env means "not configured", not a token.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("admin_role", "lead_role", "lead_acknowledgement", mode="before")
    @classmethod
    def _blank_role_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("lead_channels", "lead_phrases", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return env_list(value)

    @field_validator("welcome_channel", "report_channel")
    @classmethod
    def _one_channel(cls, value: str) -> str:
        return _channel_name(value)

    @field_validator("lead_channels")
    @classmethod
    def _channels(cls, value: list[str]) -> list[str]:
        names = list(dict.fromkeys(_channel_name(name) for name in value))
        if not names:
            raise ValueError("at least one lead channel")
        return names

    @field_validator("lead_phrases")
    @classmethod
    def _phrases(cls, value: list[str]) -> list[str]:
        return list(PhraseMatcher(value).rules)

    @field_validator("welcome_template")
    @classmethod
    def _template(cls, value: str) -> str:
        return validate_welcome_template(value)


@lru_cache
def get_settings() -> CommunitySettings:
    """The community bot's settings, read once (tests override this dependency)."""
    return CommunitySettings()
