"""The LLM settings (``BACKBONE_LLM_*``) and the label of the engine they select."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["LOCAL_MODEL", "AgentSettings", "engine_label"]

LOCAL_MODEL = "local"
"""The model name that selects the offline engine (:class:`LocalLLM`)."""


class AgentSettings(BaseSettings):
    """Which model runs the agents, and how patiently (``BACKBONE_LLM_*``, ``.env`` too).

    ``model`` is ``local`` (the offline, deterministic tool runner: no language model)
    or any model name CrewAI accepts (``openai/gpt-4o-mini``, ``anthropic/claude-...``,
    ``ollama/llama3``); ``base_url`` points it at any OpenAI-compatible server (Ollama,
    vLLM, llama.cpp server, LM Studio). The key is a :class:`SecretStr`: it shows as
    ``**********`` in reprs, logs and errors.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_prefix="BACKBONE_LLM_",
        extra="ignore",
        validate_default=True,
    )

    model: str = Field(default=LOCAL_MODEL, min_length=1, max_length=200, pattern=r"^\S+$")
    """``local``, or ``<provider>/<model>`` as CrewAI spells it."""
    base_url: str | None = None
    """An OpenAI-compatible server (``http://127.0.0.1:11434/v1``), else the provider's own."""
    api_key: SecretStr | None = None
    """The provider's key; unset, the provider's own variable (``OPENAI_API_KEY``...) is used."""
    timeout: float = Field(default=60.0, gt=0, le=600)
    """Seconds one request to the model may take before it counts as failed."""
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)
    """Tokens one answer may hold (unset: the model's own limit)."""
    temperature: float = Field(default=0.0, ge=0, le=2)
    """0 keeps answers as repeatable as the model allows."""
    max_retries: int = Field(default=2, ge=0, le=10)
    """Retries of one request (429, 5xx, timeouts, lost connections): attempts = this + 1."""
    max_iterations: int = Field(default=10, ge=1, le=100)
    """Model turns one task may take (each tool call is one) before it must answer."""

    @field_validator("base_url", mode="before")
    @classmethod
    def _http_url(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("api_key", mode="before")
    @classmethod
    def _blank_key_is_none(cls, value: Any) -> Any:
        # An empty variable in a .env file means "no key", not a key that is "".
        return None if value == "" else value

    @property
    def is_local(self) -> bool:
        """Whether the offline engine runs (``model == "local"``)."""
        return self.model == LOCAL_MODEL


def engine_label(settings: AgentSettings) -> str:
    """What produced an answer, said plainly: shown to people next to it."""
    if settings.is_local:
        return "local (deterministic tool runner, not a language model)"
    return settings.model
