"""check_llm / acheck_llm for /readyz: local ready, misconfiguration named, servers probed
with a short timeout, never a hang, never the key."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from backbone.agents import AgentSettings, LLMStatus, acheck_llm, check_llm
from tests._fake_openai import FakeOpenAI

pytestmark = pytest.mark.timeout(30)

KEY = "sk-health-secret"


def test_local_is_ready() -> None:
    """The offline engine needs nothing."""
    assert check_llm(AgentSettings()) == LLMStatus(ok=True)


def test_a_cloud_model_without_key_is_not_ready() -> None:
    """openai/... without a key: not ok, naming the variables to set."""
    status = check_llm(AgentSettings(model="openai/gpt-4o-mini"))
    assert not status.ok
    assert status.reason is not None
    assert "OPENAI_API_KEY" in status.reason


def test_a_cloud_model_with_key_is_ready_without_a_request() -> None:
    """A key present (ours or the provider's variable): ready, nothing sent anywhere."""
    assert check_llm(AgentSettings(model="anthropic/claude-3-5-haiku", api_key=KEY)).ok


def test_an_unknown_provider_is_not_ready() -> None:
    """A prefix CrewAI cannot route: not ok, saying which."""
    status = check_llm(AgentSettings(model="nosuch/thing"))
    assert not status.ok
    assert status.reason is not None
    assert "nosuch" in status.reason


def test_a_server_that_answers_is_ready() -> None:
    """GET {base_url}/models answered: ready; the key went as a bearer token."""
    with FakeOpenAI([]) as server:
        settings = AgentSettings(model="openai/fake", base_url=server.url, api_key=KEY)
        assert check_llm(settings).ok
    (request,) = server.requests
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_async_probe_answers_the_same() -> None:
    """acheck_llm probes with httpx.AsyncClient: ready, then unreachable once stopped."""
    with FakeOpenAI([]) as server:
        settings = AgentSettings(model="ollama/llama3", base_url=server.url)
        assert (await acheck_llm(settings)).ok
    status = await acheck_llm(settings)
    assert not status.ok
    assert status.reason is not None
    assert "unreachable" in status.reason


def test_a_server_that_never_answers_is_unreachable_quickly() -> None:
    """A listener that accepts and stays silent: not ok within the probe timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        settings = AgentSettings(model="openai/x", base_url=url, api_key=KEY)
        started = time.monotonic()
        status = check_llm(settings, probe_timeout=0.3)
    assert time.monotonic() - started < 5
    assert not status.ok
    assert status.reason is not None
    assert "unreachable" in status.reason


@pytest.mark.parametrize(("code", "word"), [(401, "refused the API key"), (503, "HTTP 503")])
def test_refusals_and_errors_are_not_ready_and_keyless(code: int, word: str) -> None:
    """401 and 5xx: not ok with the reason; the key appears nowhere in it."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(code, json={"error": f"bad key {KEY}"})

    settings = AgentSettings(model="openai/x", base_url="http://models.invalid/v1", api_key=KEY)
    status = check_llm(settings, transport=httpx.MockTransport(answer))
    assert not status.ok
    assert status.reason is not None
    assert word in status.reason
    assert KEY not in status.reason
