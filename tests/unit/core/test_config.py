"""CoreSettings: environment, .env files, placeholder secrets, secrets never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from backbone.core import CoreSettings, get_settings, is_placeholder_secret


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No stray .env or variables from the developer's shell."""
    monkeypatch.chdir(tmp_path)
    for name in ("ENVIRONMENT", "LOG_LEVEL", "LOG_FORMAT", "LOG_FILE", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    """Without configuration a service runs in development with console INFO logs."""
    settings = CoreSettings()
    assert settings.environment == "development"
    assert settings.log_level == "INFO"
    assert settings.log_format == "console"
    assert settings.database_url is None
    assert settings.request_id_header == "X-Request-ID"


def test_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Variables in the environment set the fields (log level case-insensitively)."""
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:s3cr3t-Value@db/app")
    settings = CoreSettings()
    assert settings.environment == "production"
    assert settings.log_level == "DEBUG"
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == "postgresql://app:s3cr3t-Value@db/app"


def test_reads_dotenv_file(tmp_path: Path) -> None:
    """A .env file in the working directory is read; unknown keys are ignored."""
    (tmp_path / ".env").write_text("LOG_FORMAT=json\nREDIS_URL=redis://r:6379/0\nUNRELATED=1\n")
    settings = CoreSettings()
    assert settings.log_format == "json"
    assert settings.redis_url == "redis://r:6379/0"


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process environment overrides the .env file."""
    (tmp_path / ".env").write_text("LOG_FORMAT=json\n")
    monkeypatch.setenv("LOG_FORMAT", "console")
    assert CoreSettings().log_format == "console"


@pytest.mark.parametrize(
    "secret",
    ["changeme", "", "  SECRET ", "placeholder", "postgresql://u:changeme@db/app"],
)
@pytest.mark.parametrize("environment", ["test", "production"])
def test_placeholder_secret_refused_outside_development(secret: str, environment: str) -> None:
    """A placeholder secret (or URL password) is refused in test and production."""
    with pytest.raises(ValidationError, match="placeholder secret"):
        CoreSettings(environment=environment, database_url=secret)


def test_placeholder_secret_allowed_in_development() -> None:
    """Development accepts placeholders so a fresh checkout just runs."""
    settings = CoreSettings(environment="development", database_url="changeme")
    assert settings.database_url is not None


def test_real_secret_accepted_in_production() -> None:
    """A real secret passes the placeholder check."""
    settings = CoreSettings(environment="production", database_url="postgresql://u:Xy9!q@db/a")
    assert settings.database_url is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("changeme", True),
        ("Password", True),
        ("postgresql://u:secret@h/d", True),
        ("postgresql://u@h/d", False),
        ("postgresql://u:good-one@h/d", False),
        ("http://[::1/x", False),
        ("s3cr3t!", False),
    ],
)
def test_is_placeholder_secret(value: str, expected: bool) -> None:
    """Placeholders are recognised alone and as URL passwords; malformed URLs are not."""
    assert is_placeholder_secret(value) is expected


def test_secret_never_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Printing or logging the settings shows no secret."""
    settings = CoreSettings(database_url="postgresql://app:TopSecret123@db/app")
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings=%s %r", settings, settings)
    assert "TopSecret123" not in repr(settings)
    assert "TopSecret123" not in str(settings)
    assert "TopSecret123" not in caplog.text
    assert "**********" in caplog.text


def test_invalid_log_format_refused() -> None:
    """Only console and json are log formats."""
    with pytest.raises(ValidationError):
        CoreSettings(log_format="xml")


def test_get_settings_is_cached() -> None:
    """get_settings returns one object per process (tests override the dependency)."""
    get_settings.cache_clear()
    try:
        assert get_settings() is get_settings()
    finally:
        get_settings.cache_clear()
