"""The review service's settings: secrets, placeholders, GitHub credentials, senders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from backbone.review.config import (
    DEVELOPMENT_API_TOKEN,
    DEVELOPMENT_WEBHOOK_SECRET,
    MAX_WEBHOOK_BYTES,
    ReviewSettings,
)


def settings(**values: Any) -> ReviewSettings:
    """Settings from ``values`` only (no environment file)."""
    return ReviewSettings(_env_file=None, **values)  # type: ignore[call-arg]


def test_development_defaults_work_in_development_only() -> None:
    """The placeholder secret and token start in development; elsewhere they are refused,
    naming the variable but not the value."""
    assert settings().webhook_secret.get_secret_value() == DEVELOPMENT_WEBHOOK_SECRET
    for missing, given in (
        ("webhook_secret", {"api_token": "a-real-token-0123456789"}),
        ("api_token", {"webhook_secret": "a-real-secret-0123456789"}),
    ):
        with pytest.raises(ValidationError) as caught:
            settings(environment="production", **given)
        assert f"BACKBONE_REVIEW_{missing.upper()}" in str(caught.value)
        assert DEVELOPMENT_API_TOKEN not in str(caught.value)
        assert DEVELOPMENT_WEBHOOK_SECRET not in str(caught.value)
    real = settings(environment="production", webhook_secret="s" * 32, api_token="t" * 32)
    assert real.environment == "production"


def test_secrets_never_show_in_a_repr() -> None:
    """Secrets are SecretStr: a repr or a log line shows stars."""
    configured = settings(webhook_secret="hook-secret-123", github_token="ghp_secret_456")
    text = repr(configured)
    assert "hook-secret-123" not in text
    assert "ghp_secret_456" not in text


def test_a_github_app_needs_both_its_id_and_its_key(tmp_path: Path) -> None:
    """An App id without a key file, or a key file without an id, is refused."""
    with pytest.raises(ValidationError, match="GITHUB_APP_ID"):
        settings(github_app_id=12)
    with pytest.raises(ValidationError, match="GITHUB_APP_ID"):
        settings(github_private_key_file=tmp_path / "key.pem")
    assert settings(
        github_app_id=12, github_private_key_file=tmp_path / "key.pem"
    ).github_configured
    assert settings(github_token="ghp_x").github_configured
    assert not settings().github_configured


def test_the_api_url_is_http_and_loses_its_trailing_slash() -> None:
    """GitHub Enterprise's URL with a slash works; anything not http(s) is refused."""
    assert settings(github_api_url="https://ghe.example.com/api/v3/").github_api_url == (
        "https://ghe.example.com/api/v3"
    )
    with pytest.raises(ValidationError):
        settings(github_api_url="file:///etc/passwd")


def test_skip_senders_from_a_list_or_commas() -> None:
    """Comma-separated or a JSON list, as an environment variable gives them."""
    assert settings(skip_senders="renovate-bot, my-ci").skip_senders == ["renovate-bot", "my-ci"]
    assert settings(skip_senders='["a", "b"]').skip_senders == ["a", "b"]


def test_bodies_up_to_githubs_cap() -> None:
    """The body limit defaults to GitHub's 25 MB and cannot be raised past it."""
    assert settings().max_body_bytes == MAX_WEBHOOK_BYTES
    with pytest.raises(ValidationError):
        settings(max_body_bytes=MAX_WEBHOOK_BYTES + 1)
