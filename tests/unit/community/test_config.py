"""The community bot's settings: the Discord token's two names, the channels, the welcome
template and the phrase rules checked at load, placeholders refused outside development."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from backbone.community.config import (
    DEFAULT_WELCOME_TEMPLATE,
    DEVELOPMENT_API_TOKEN,
    CommunitySettings,
    get_settings,
)
from backbone.community.leads import DEFAULT_LEAD_PHRASES, PhraseMatcher
from backbone.community.welcome import validate_welcome_template


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token or community setting leaks in from the machine running the tests."""
    for name in ("DISCORD_TOKEN", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    import os

    for name in list(os.environ):
        if name.upper().startswith("BACKBONE_COMMUNITY_"):
            monkeypatch.delenv(name)


def settings(**values: Any) -> CommunitySettings:
    """Settings from the environment and ``values`` only (no ``.env`` file)."""
    return CommunitySettings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults() -> None:
    """Out of the box: no token, the documented channels, a valid template, the rules."""
    configured = settings()
    assert configured.discord_token is None
    assert configured.welcome_channel == "introductions"
    assert configured.lead_channels == ["general-chat", "product-questions"]
    assert configured.report_channel == "admin-reports"
    assert configured.admin_role is None
    assert configured.welcome_template == DEFAULT_WELCOME_TEMPLATE
    for placeholder in ("{mention}", "{name}", "{server}", "{member_count}"):
        assert placeholder in DEFAULT_WELCOME_TEMPLATE
    assert validate_welcome_template(DEFAULT_WELCOME_TEMPLATE)
    assert configured.lead_phrases == list(DEFAULT_LEAD_PHRASES)
    assert PhraseMatcher(configured.lead_phrases).match("how can I buy?") is not None


@pytest.mark.parametrize("variable", ["BACKBONE_COMMUNITY_DISCORD_TOKEN", "DISCORD_TOKEN"])
def test_the_token_has_two_names(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    """The Discord token is read from the prefixed variable or the usual DISCORD_TOKEN."""
    monkeypatch.setenv(variable, "a-real-discord-token")
    token = settings().discord_token
    assert token is not None
    assert token.get_secret_value() == "a-real-discord-token"


def test_the_prefixed_token_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """When both are set, the service's own variable is the one used."""
    monkeypatch.setenv("DISCORD_TOKEN", "the-generic-one")
    monkeypatch.setenv("BACKBONE_COMMUNITY_DISCORD_TOKEN", "the-community-one")
    token = settings().discord_token
    assert token is not None
    assert token.get_secret_value() == "the-community-one"


def test_a_blank_token_is_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """``DISCORD_TOKEN=`` left empty in a ``.env`` means "not configured"."""
    monkeypatch.setenv("DISCORD_TOKEN", "  ")
    assert settings().discord_token is None


def test_placeholders_are_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    """The development API token and a placeholder Discord token start in development only;
    the error names the variable, never the value."""
    assert settings().api_token.get_secret_value() == DEVELOPMENT_API_TOKEN
    with pytest.raises(ValidationError, match="BACKBONE_COMMUNITY_API_TOKEN") as caught:
        settings(environment="production")
    assert DEVELOPMENT_API_TOKEN not in str(caught.value)
    monkeypatch.setenv("DISCORD_TOKEN", "changeme")
    assert settings().discord_token is not None
    with pytest.raises(ValidationError, match="discord_token"):
        settings(environment="production", api_token="t" * 32)
    monkeypatch.setenv("DISCORD_TOKEN", "a-real-discord-token")
    assert settings(environment="production", api_token="t" * 32).environment == "production"


def test_secrets_never_show_in_a_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both tokens are SecretStr."""
    monkeypatch.setenv("DISCORD_TOKEN", "discord-secret-123")
    text = repr(settings(api_token="api-secret-456"))
    assert "discord-secret-123" not in text
    assert "api-secret-456" not in text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("general-chat, sales ,#pricing", ["general-chat", "sales", "pricing"]),
        ('["a", "b"]', ["a", "b"]),
        ("a,a,b", ["a", "b"]),
    ],
)
def test_lead_channels_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[str]
) -> None:
    """Comma-separated or a JSON list; a leading '#' is dropped, duplicates are one."""
    monkeypatch.setenv("BACKBONE_COMMUNITY_LEAD_CHANNELS", raw)
    assert settings().lead_channels == expected


@pytest.mark.parametrize("raw", ["", "has space", "#"])
def test_bad_channel_names_are_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    """An empty list, an empty name or one with a space is refused."""
    monkeypatch.setenv("BACKBONE_COMMUNITY_LEAD_CHANNELS", raw)
    with pytest.raises(ValidationError, match="lead_channels"):
        settings()
    with pytest.raises(ValidationError, match="report_channel"):
        settings(report_channel=raw)


def test_lead_phrases_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Comma-separated rules (the rule syntax has no comma) or a JSON list."""
    monkeypatch.setenv("BACKBONE_COMMUNITY_LEAD_PHRASES", "sign up, (book|schedule) a call")
    assert settings().lead_phrases == ["sign up", "(book|schedule) a call"]
    monkeypatch.setenv("BACKBONE_COMMUNITY_LEAD_PHRASES", '["demo"]')
    assert settings().lead_phrases == ["demo"]


def test_a_bad_phrase_rule_is_refused_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings do not load with a rule the matcher cannot compile."""
    monkeypatch.setenv("BACKBONE_COMMUNITY_LEAD_PHRASES", "how (do|can i buy")
    with pytest.raises(ValidationError, match="parenthes"):
        settings()


def test_a_bad_welcome_template_is_refused_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown placeholder or an over-long template stops the settings loading."""
    monkeypatch.setenv("BACKBONE_COMMUNITY_WELCOME_TEMPLATE", "Hi {user}")
    with pytest.raises(ValidationError, match="unknown placeholder"):
        settings()
    monkeypatch.setenv("BACKBONE_COMMUNITY_WELCOME_TEMPLATE", "x" * 1501)
    with pytest.raises(ValidationError, match="1500"):
        settings()


def test_the_admin_role(monkeypatch: pytest.MonkeyPatch) -> None:
    """A role name, or none (members with Manage Server are the admins)."""
    monkeypatch.setenv("BACKBONE_COMMUNITY_ADMIN_ROLE", "Moderators")
    assert settings().admin_role == "Moderators"
    monkeypatch.setenv("BACKBONE_COMMUNITY_ADMIN_ROLE", " ")
    assert settings().admin_role is None


def test_get_settings_is_cached() -> None:
    """The settings are read once per process."""
    get_settings.cache_clear()
    try:
        assert get_settings() is get_settings()
    finally:
        get_settings.cache_clear()


def test_the_bot_options_are_off_or_bounded_by_default() -> None:
    """No lead acknowledgement or role, a five-minute reconciliation, a 5,000-message
    summary cap, no application id."""
    configured = settings()
    assert configured.lead_acknowledgement is None
    assert configured.lead_role is None
    assert configured.reconcile_interval_seconds == 300
    assert configured.summary_cap == 5000
    assert configured.application_id is None


def test_the_bot_options_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each bot option has its variable; blank acknowledgement and role mean off."""
    monkeypatch.setenv("BACKBONE_COMMUNITY_LEAD_ACKNOWLEDGEMENT", "Thanks, we will be in touch!")
    monkeypatch.setenv("BACKBONE_COMMUNITY_LEAD_ROLE", " hot-leads ")
    monkeypatch.setenv("BACKBONE_COMMUNITY_RECONCILE_INTERVAL_SECONDS", "60")
    monkeypatch.setenv("BACKBONE_COMMUNITY_SUMMARY_CAP", "100")
    monkeypatch.setenv("BACKBONE_COMMUNITY_APPLICATION_ID", "123456789012345678")
    configured = settings()
    assert configured.lead_acknowledgement == "Thanks, we will be in touch!"
    assert configured.lead_role == "hot-leads"
    assert configured.reconcile_interval_seconds == 60
    assert configured.summary_cap == 100
    assert configured.application_id == 123456789012345678
    monkeypatch.setenv("BACKBONE_COMMUNITY_LEAD_ACKNOWLEDGEMENT", "  ")
    monkeypatch.setenv("BACKBONE_COMMUNITY_LEAD_ROLE", "")
    configured = settings()
    assert (configured.lead_acknowledgement, configured.lead_role) == (None, None)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BACKBONE_COMMUNITY_RECONCILE_INTERVAL_SECONDS", "5"),
        ("BACKBONE_COMMUNITY_SUMMARY_CAP", "0"),
        ("BACKBONE_COMMUNITY_SUMMARY_CAP", "50001"),
        ("BACKBONE_COMMUNITY_LEAD_ACKNOWLEDGEMENT", "x" * 501),
        ("BACKBONE_COMMUNITY_APPLICATION_ID", "0"),
    ],
)
def test_bot_options_out_of_bounds_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A too-eager reconciliation, a zero or huge cap, a long acknowledgement, a zero id."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        settings()


def test_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """CrewAI's storage for the summariser: .backbone/community unless set."""
    from pathlib import Path

    assert settings().data_dir == Path(".backbone/community")
    monkeypatch.setenv("BACKBONE_COMMUNITY_DATA_DIR", "/var/lib/community")
    assert settings().data_dir == Path("/var/lib/community")
