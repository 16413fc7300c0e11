"""Which provider a model name routes to, and whether its key is there (no CrewAI import).

A copy of the part of CrewAI's routing that ``/readyz`` needs, so a readiness probe does
not pay for importing CrewAI. The table follows crewai 1.15's native providers; a model
name CrewAI cannot route without LiteLLM (not installed) is an unknown provider here too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from backbone.agents._errors import LLMConfigError
from backbone.agents._settings import AgentSettings

__all__ = ["Provider", "api_key_for", "provider_of"]


@dataclass(frozen=True)
class Provider:
    """A provider: its canonical name and the variables CrewAI reads its key from."""

    name: str
    key_variables: tuple[str, ...]
    """Empty: no key needed (a local server)."""


_PROVIDERS: dict[str, Provider] = {
    alias: Provider(name, keys)
    for aliases, name, keys in (
        (("openai",), "openai", ("OPENAI_API_KEY",)),
        (("anthropic", "claude"), "anthropic", ("ANTHROPIC_API_KEY",)),
        (("gemini", "google"), "gemini", ("GOOGLE_API_KEY", "GEMINI_API_KEY")),
        (("azure", "azure_openai"), "azure", ("AZURE_API_KEY",)),
        (("openrouter",), "openrouter", ("OPENROUTER_API_KEY",)),
        (("deepseek",), "deepseek", ("DEEPSEEK_API_KEY",)),
        (("cerebras",), "cerebras", ("CEREBRAS_API_KEY",)),
        (("dashscope",), "dashscope", ("DASHSCOPE_API_KEY",)),
        (("deepinfra",), "deepinfra", ("DEEPINFRA_API_KEY",)),
        (("ollama",), "ollama", ()),
        (("ollama_chat",), "ollama_chat", ()),
        (("hosted_vllm",), "hosted_vllm", ()),
        # Credentials from the AWS / Snowflake chains, not one variable.
        (("bedrock", "aws"), "bedrock", ()),
        (("snowflake",), "snowflake", ()),
    )
    for alias in aliases
}


def provider_of(model: str) -> Provider:
    """The provider ``model`` routes to (a bare name is inferred, as CrewAI does)."""
    prefix, slash, _ = model.partition("/")
    if not slash:
        lowered = model.lower()
        if lowered.startswith("claude-"):
            return _PROVIDERS["anthropic"]
        if lowered.startswith(("gemini-", "gemma-")):
            return _PROVIDERS["gemini"]
        return _PROVIDERS["openai"]
    provider = _PROVIDERS.get(prefix.lower())
    if provider is None:
        known = ", ".join(sorted(_PROVIDERS))
        raise LLMConfigError(f"unknown model provider {prefix!r} in {model!r} (known: {known})")
    return provider


def api_key_for(settings: AgentSettings) -> str | None:
    """The key to hand to CrewAI, or ``None`` to let the provider read its own variable.

    Raises :class:`LLMConfigError` when the provider needs a key and none is set. With a
    ``base_url`` (an OpenAI-compatible server: Ollama, vLLM, llama.cpp, LM Studio) no key
    is required, but the OpenAI client refuses to start without one: it gets a placeholder.
    """
    provider = provider_of(settings.model)
    if settings.api_key is not None:
        return settings.api_key.get_secret_value()
    if any(os.environ.get(name) for name in provider.key_variables):
        return None
    if settings.base_url is not None:
        return "no-key"
    if provider.key_variables:
        variables = " or ".join(("BACKBONE_LLM_API_KEY", *provider.key_variables))
        raise LLMConfigError(f"model {settings.model!r} needs an API key: set {variables}")
    return None
