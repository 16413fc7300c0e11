"""AgentSettings: defaults, the environment and .env, bounds, and a key that never shows."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from backbone.agents import AgentSettings, engine_label

KEY = "sk-very-secret-value-42"


def test_defaults_are_the_offline_engine() -> None:
    """Unconfigured: local, bounded retries and iterations, temperature 0."""
    settings = AgentSettings()
    assert settings.model == "local"
    assert settings.is_local
    assert (settings.max_retries, settings.max_iterations, settings.temperature) == (2, 10, 0.0)
    assert settings.timeout == 60.0
    assert settings.api_key is None
    assert settings.base_url is None


def test_read_from_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """BACKBONE_LLM_* variables and a .env file configure it; unknown keys are ignored."""
    (tmp_path / ".env").write_text(
        "BACKBONE_LLM_MODEL=ollama/llama3\nBACKBONE_LLM_TIMEOUT=5\nOTHER_THING=1\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BACKBONE_LLM_BASE_URL", "http://127.0.0.1:11434/v1/")
    monkeypatch.setenv("BACKBONE_LLM_MAX_RETRIES", "4")
    settings = AgentSettings()
    assert settings.model == "ollama/llama3"
    assert settings.timeout == 5.0
    assert settings.max_retries == 4
    assert settings.base_url == "http://127.0.0.1:11434/v1"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timeout", 0, "greater than 0"),
        ("max_retries", 11, "less than or equal to 10"),
        ("max_retries", -1, "greater than or equal to 0"),
        ("max_iterations", 0, "greater than or equal to 1"),
        ("temperature", 3, "less than or equal to 2"),
        ("max_tokens", 0, "greater than or equal to 1"),
        ("base_url", "ftp://host", "http:// or https://"),
        ("model", "", "at least 1 character"),
        ("model", "open ai/x", "pattern"),
    ],
)
def test_out_of_bounds_values_are_refused_clearly(field: str, value: object, message: str) -> None:
    """Each bound is enforced with a message naming the field and the limit."""
    with pytest.raises(ValidationError, match=message) as caught:
        AgentSettings(**{field: value})  # type: ignore[arg-type]
    assert field in str(caught.value)


def test_the_key_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    """repr, str, a log line and a validation error of another field: no key."""
    settings = AgentSettings(model="openai/gpt-4o-mini", api_key=KEY)
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == KEY
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings %s %r", settings, settings)
    with pytest.raises(ValidationError) as caught:
        AgentSettings(model="openai/gpt-4o-mini", api_key=KEY, timeout=-1)
    for text in (
        repr(settings),
        str(settings),
        caplog.text,
        str(caught.value),
        settings.model_dump_json(),
    ):
        assert KEY not in text


def test_blank_key_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty BACKBONE_LLM_API_KEY (a .env placeholder) is no key, not the key ''."""
    monkeypatch.setenv("BACKBONE_LLM_API_KEY", "")
    assert AgentSettings().api_key is None


def test_engine_label_says_what_answered() -> None:
    """Local says plainly it is no language model; a model is named as configured."""
    assert engine_label(AgentSettings()) == (
        "local (deterministic tool runner, not a language model)"
    )
    assert engine_label(AgentSettings(model="openai/gpt-4o-mini")) == "openai/gpt-4o-mini"
