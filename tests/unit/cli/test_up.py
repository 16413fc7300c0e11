"""Pieces of ``backbone up`` that need no real process: hosts, URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbone.cli._up import client_host, external_urls


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("::", "[::1]"), ("::1", "[::1]")],
)
def test_client_host(host: str, expected: str) -> None:
    """URLs for a wildcard bind point at loopback; IPv6 hosts are bracketed."""
    assert client_host(host) == expected


def test_external_urls_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """REDIS_URL / DATABASE_URL (environment or .env) select external servers."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert external_urls() == {"redis": None, "postgres": None}
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://u:p@db/app\n")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    assert external_urls() == {
        "redis": "redis://cache:6379/0",
        "postgres": "postgresql://u:p@db/app",
    }


def test_without_github_credentials_the_review_goes_to_the_fake() -> None:
    """No token and no App: the fake GitHub's URL and token; with either, nothing changes."""
    from backbone.cli._up import FAKE_GITHUB_TOKEN, fake_github_env

    fake = "http://127.0.0.1:9004"
    assert fake_github_env({}, fake) == {
        "BACKBONE_REVIEW_GITHUB_API_URL": fake,
        "BACKBONE_REVIEW_GITHUB_TOKEN": FAKE_GITHUB_TOKEN,
    }
    assert fake_github_env({"BACKBONE_REVIEW_GITHUB_TOKEN": "github_pat_x"}, fake) == {}
    assert fake_github_env({"BACKBONE_REVIEW_GITHUB_APP_ID": "12"}, fake) == {}
    assert fake_github_env({}, None) == {}


BOT_TOKENS = ("BACKBONE_COMMUNITY_DISCORD_TOKEN", "DISCORD_TOKEN")


@pytest.mark.parametrize(
    "env",
    [{}, {"BACKBONE_COMMUNITY_DISCORD_TOKEN": ""}, {"DISCORD_TOKEN": "  "}, {"OTHER": "x"}],
)
def test_without_a_discord_token_the_bot_is_not_started_and_up_says_so(
    env: dict[str, str],
) -> None:
    """No token, or a blank one: the bot stays off, and the note names the variable."""
    from backbone.cli._services import SERVICES
    from backbone.cli._up import optional_start

    start, note = optional_start(SERVICES["community-bot"], env)
    assert start is False
    assert note == (
        "community-bot: not started - no Discord token (set BACKBONE_COMMUNITY_DISCORD_TOKEN)"
    )


@pytest.mark.parametrize("variable", BOT_TOKENS)
def test_with_a_discord_token_the_bot_starts_and_up_says_from_where(variable: str) -> None:
    """Either variable starts the bot; the note names the one used (never the token)."""
    from backbone.cli._services import SERVICES
    from backbone.cli._up import optional_start

    start, note = optional_start(SERVICES["community-bot"], {variable: "MTIz.secret"})
    assert start is True
    assert note == f"community-bot: starting with the Discord token in {variable}"
    assert "secret" not in note


def test_services_without_a_condition_always_start_silently() -> None:
    """The CRM API and every other service: started, nothing to say."""
    from backbone.cli._services import SERVICES
    from backbone.cli._up import optional_start

    for name, spec in SERVICES.items():
        if name != "community-bot":
            assert optional_start(spec, {}) == (True, None), name
