"""Failures of a crew run, translated into the agents layer's tree (and never the key).

CrewAI lets the provider SDK's exceptions through (``openai.RateLimitError``, a
``ConnectionError`` wrapping ``APITimeoutError``, ``json.JSONDecodeError`` for a body that
is not JSON...); they are classified by what they carry (a status code, a class name), so
no SDK needs importing here.
"""

from __future__ import annotations

from collections.abc import Iterator

from backbone.agents._errors import (
    AgentsError,
    LLMBadResponse,
    LLMConfigError,
    LLMUnavailable,
    ToolFailed,
)

__all__ = ["redact", "translate"]

_UNAVAILABLE_NAMES = frozenset(
    {
        "APITimeoutError",
        "APIConnectionError",
        "ConnectError",
        "ConnectTimeout",
        "ReadTimeout",
        "TimeoutException",
        "RemoteProtocolError",
        "TimeoutError",
        "ConnectionError",
        "ConnectionRefusedError",
        "ConnectionResetError",
    }
)
_BAD_RESPONSE_NAMES = frozenset({"APIResponseValidationError", "JSONDecodeError"})
_CONFIG_STATUSES = frozenset({400, 401, 403, 404, 422})


def redact(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` (nor a long text cut short)."""
    if secret:
        text = text.replace(secret, "**********")
    return text if len(text) <= 500 else text[:500] + "..."


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _classify(exc: BaseException) -> type[AgentsError] | None:
    name = type(exc).__name__
    if name == "ToolExecutionFailedError":
        return ToolFailed
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status in _CONFIG_STATUSES:
            return LLMConfigError
        if status in (408, 409, 429) or status >= 500:
            return LLMUnavailable
    if name in _UNAVAILABLE_NAMES:
        return LLMUnavailable
    if name in _BAD_RESPONSE_NAMES or "invalid response from llm" in str(exc).lower():
        return LLMBadResponse
    return None


_WHAT = {
    LLMConfigError: "the model server refused the request",
    LLMUnavailable: "the model server did not answer usefully",
    LLMBadResponse: "the model server's answer is not a usable completion",
    ToolFailed: "a tool could not run",
}


def translate(exc: BaseException, *, model: str, attempts: int, secret: str | None) -> AgentsError:
    """The error of our tree that says what went wrong; the caller raises it ``from exc``."""
    for candidate in _chain(exc):
        kind = _classify(candidate)
        if kind is None:
            continue
        detail = redact(f"{type(candidate).__name__}: {candidate}", secret)
        if kind is ToolFailed:
            return ToolFailed(f"{_WHAT[kind]}: {detail}")
        tries = f" (up to {attempts} attempts per request)" if kind is LLMUnavailable else ""
        return kind(f"{model}: {_WHAT[kind]}{tries}: {detail}")
    detail = redact(f"{type(exc).__name__}: {exc}", secret)
    return AgentsError(f"{model}: the crew failed: {detail}")
