"""Readiness of the configured model, for ``/readyz``: cheap, bounded, never the key."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from backbone.agents._errors import LLMConfigError
from backbone.agents._providers import api_key_for
from backbone.agents._settings import AgentSettings

__all__ = ["LLMStatus", "acheck_llm", "check_llm"]

PROBE_TIMEOUT = 2.0
"""Seconds a probe of ``base_url`` may take, connect to last byte, whatever ``timeout`` is."""


@dataclass(frozen=True)
class LLMStatus:
    """Whether the model can be used; ``reason`` says why not (never with the key)."""

    ok: bool
    reason: str | None = None


def _configured(settings: AgentSettings) -> LLMStatus | None:
    """A not-ok status for a misconfiguration, else ``None``; local is always ready."""
    if settings.is_local:
        return LLMStatus(ok=True)
    try:
        api_key_for(settings)
    except LLMConfigError as exc:
        return LLMStatus(ok=False, reason=str(exc))
    return None


def _headers(settings: AgentSettings) -> dict[str, str]:
    if settings.api_key is None:
        return {}
    return {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"}


def _status(settings: AgentSettings, response: httpx.Response | None, error: str) -> LLMStatus:
    if response is None:
        return LLMStatus(ok=False, reason=f"the model server (base_url) is unreachable: {error}")
    if response.status_code in (401, 403):
        return LLMStatus(
            ok=False,
            reason=f"the model server refused the API key (HTTP {response.status_code})",
        )
    if response.status_code >= 500:
        return LLMStatus(ok=False, reason=f"the model server answered HTTP {response.status_code}")
    # 200, or a server without the listing (404): it answers, which is what a probe asks.
    return LLMStatus(ok=True)


def check_llm(
    settings: AgentSettings,
    *,
    probe_timeout: float = PROBE_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> LLMStatus:
    """Local: ready. A model: its provider known, its key there, and with ``base_url`` a
    ``GET {base_url}/models`` answered within ``probe_timeout`` seconds. Cloud providers
    are not probed (a readiness check should not spend a request on them)."""
    status = _configured(settings)
    if status is not None or settings.base_url is None:
        return status or LLMStatus(ok=True)
    with httpx.Client(timeout=probe_timeout, transport=transport) as client:
        try:
            response = client.get(f"{settings.base_url}/models", headers=_headers(settings))
        except httpx.HTTPError as exc:
            return _status(settings, None, type(exc).__name__)
    return _status(settings, response, "")


async def acheck_llm(
    settings: AgentSettings,
    *,
    probe_timeout: float = PROBE_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> LLMStatus:
    """:func:`check_llm` for async code (``/readyz`` handlers)."""
    status = _configured(settings)
    if status is not None or settings.base_url is None:
        return status or LLMStatus(ok=True)
    async with httpx.AsyncClient(timeout=probe_timeout, transport=transport) as client:
        try:
            response = await client.get(f"{settings.base_url}/models", headers=_headers(settings))
        except httpx.HTTPError as exc:
            return _status(settings, None, type(exc).__name__)
    return _status(settings, response, "")
