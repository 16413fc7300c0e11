"""The assistant's settings: defaults, the JWT secret's rules, admin emails from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from backbone.assistant.config import DEVELOPMENT_JWT_SECRET, AssistantSettings

REAL_SECRET = "a-real-secret-of-enough-length-0123456789"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "ENVIRONMENT",
        "BACKBONE_ASSISTANT_JWT_SECRET",
        "BACKBONE_ASSISTANT_ADMIN_EMAILS",
        "BACKBONE_REPORTS_URL",
        "BACKBONE_ASSISTANT_REPORTS_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def _settings(**values: Any) -> AssistantSettings:
    return AssistantSettings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults() -> None:
    """Queue ``assistant``, HS256, 15 min / 14 days, the dataset caps, the gateway's URL."""
    settings = _settings()
    assert settings.queue == "assistant"
    assert settings.jwt_algorithm == "HS256"
    assert (settings.access_token_minutes, settings.refresh_token_days) == (15, 14)
    assert (settings.jwt_issuer, settings.jwt_audience) == ("backbone-assistant",) * 2
    assert settings.data_dir == Path(".backbone/assistant")
    assert (settings.dataset_max_bytes, settings.dataset_max_rows) == (10 * 1024 * 1024, 100_000)
    assert settings.dataset_max_columns == 200
    assert settings.gateway_url == "http://127.0.0.1:8000"
    assert settings.reports_url == "http://127.0.0.1:8001"


@pytest.mark.parametrize("variable", ["BACKBONE_REPORTS_URL", "BACKBONE_ASSISTANT_REPORTS_URL"])
def test_the_reports_url_is_read_as_backbone_up_gives_it(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """The report processor's URL: BACKBONE_REPORTS_URL (what `backbone up` sets) or the
    assistant's own variable."""
    monkeypatch.setenv(variable, "http://127.0.0.1:18001")
    assert _settings().reports_url == "http://127.0.0.1:18001"


def test_the_placeholder_secret_works_in_development() -> None:
    """In development the default secret is accepted (and never shown)."""
    settings = _settings(environment="development")
    assert settings.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET
    assert DEVELOPMENT_JWT_SECRET not in repr(settings)


@pytest.mark.parametrize("environment", ["test", "production"])
@pytest.mark.parametrize(
    "secret", [None, "changeme", "  Secret  "], ids=["default", "changeme", "secret"]
)
def test_a_placeholder_secret_is_refused_outside_development(
    environment: str, secret: str | None
) -> None:
    """Outside development the default (or a well-known placeholder) stops the service."""
    values: dict[str, Any] = {"environment": environment}
    if secret is not None:
        values["jwt_secret"] = secret
    with pytest.raises(ValidationError, match="jwt_secret") as caught:
        _settings(**values)
    assert DEVELOPMENT_JWT_SECRET not in str(caught.value)


def test_a_real_secret_is_accepted_in_production() -> None:
    """A long, non-placeholder secret starts the service in production."""
    assert _settings(environment="production", jwt_secret=REAL_SECRET).environment == "production"


def test_a_short_secret_is_refused_and_not_echoed() -> None:
    """Fewer than 32 bytes is refused in any environment, and the error does not show it."""
    with pytest.raises(ValidationError, match="at least 32 bytes") as caught:
        _settings(jwt_secret="short-but-secret-value")
    assert "short-but-secret-value" not in str(caught.value)


def test_a_public_key_as_secret_is_refused() -> None:
    """A PEM public key is no HMAC secret."""
    pem = "-----BEGIN PUBLIC KEY-----\n" + "A" * 64 + "\n-----END PUBLIC KEY-----\n"
    with pytest.raises(ValidationError, match="public key"):
        _settings(jwt_secret=pem)


@pytest.mark.parametrize("algorithm", ["none", "HS512", "RS256"])
def test_only_hs256_is_accepted(algorithm: str) -> None:
    """The algorithm is pinned: any other is a settings error."""
    with pytest.raises(ValidationError, match="jwt_algorithm"):
        _settings(jwt_algorithm=algorithm)


@pytest.mark.parametrize(
    "value", ['["Root@Example.com", "b@example.com"]', "Root@Example.com, b@example.com"]
)
def test_admin_emails_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """BACKBONE_ASSISTANT_ADMIN_EMAILS: a JSON list or comma-separated, normalised."""
    monkeypatch.setenv("BACKBONE_ASSISTANT_ADMIN_EMAILS", value)
    assert _settings().admin_emails == ["b@example.com", "root@example.com"]
