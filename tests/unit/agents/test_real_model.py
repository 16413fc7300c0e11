"""The real-model path at the protocol level, against a fake OpenAI-compatible server on
loopback: what is sent, a tool turn, and bounded retries ending in our exceptions."""

from __future__ import annotations

import json

import pytest

from backbone.agents import (
    AgentSettings,
    LLMBadResponse,
    LLMConfigError,
    LLMUnavailable,
    ToolFailed,
    run_crew,
)
from tests._fake_openai import FakeOpenAI, Reply, text_reply, tool_call_reply
from tests.unit.agents.conftest import Counter, compose, crew, tool

pytestmark = pytest.mark.timeout(60)

KEY = "sk-test-0123456789abcdef"


def _settings(server: FakeOpenAI, **overrides: object) -> AgentSettings:
    options: dict[str, object] = {
        "model": "openai/fake-model",
        "base_url": server.url,
        "api_key": KEY,
        "timeout": 5.0,
        "max_retries": 1,
        **overrides,
    }
    return AgentSettings(**options)  # type: ignore[arg-type]


def _run(counter: Counter, settings: AgentSettings, **kwargs: object):  # type: ignore[no-untyped-def]
    spec = crew(tool("total", counter.total))
    return run_crew(spec, settings=settings, inputs={"subject": "sales"}, compose=compose, **kwargs)  # type: ignore[arg-type]


def test_from_the_environment(monkeypatch: pytest.MonkeyPatch, counter: Counter) -> None:
    """BACKBONE_LLM_MODEL=openai/<name> and BACKBONE_LLM_BASE_URL select the server."""
    with FakeOpenAI([text_reply("Sales are fine.")]) as server:
        monkeypatch.setenv("BACKBONE_LLM_MODEL", "openai/fake-model")
        monkeypatch.setenv("BACKBONE_LLM_BASE_URL", server.url)
        monkeypatch.setenv("BACKBONE_LLM_API_KEY", KEY)
        outcome = _run(counter, AgentSettings())
    assert outcome.text == "Sales are fine."
    assert outcome.engine == "openai/fake-model"
    assert outcome.steps == ()


def test_request_carries_model_messages_key_and_tools(counter: Counter) -> None:
    """The request names the model, sends system + user messages, the tools, the bearer key."""
    with FakeOpenAI([text_reply("done")]) as server:
        _run(
            counter,
            _settings(server, temperature=0.0, max_tokens=77),
            untrusted={"dataset": "north,3"},
        )
    (request,) = server.completions
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.body
    assert body["model"] == "fake-model"
    assert body["max_tokens"] == 77
    roles = [message["role"] for message in body["messages"]]
    assert roles == ["system", "user"]
    assert "Analyst" in body["messages"][0]["content"]
    user = body["messages"][1]["content"]
    assert "Describe sales." in user
    assert "<<<BEGIN DATA dataset " in user
    assert [t["function"]["name"] for t in body["tools"]] == ["total"]
    assert body["tools"][0]["function"]["parameters"]["properties"]["values"]["type"] == "array"


def test_tool_call_turn_then_final_turn_records_the_step(counter: Counter) -> None:
    """A tool_calls answer runs the tool (one Step), its result goes back, the text ends it."""
    replies = [tool_call_reply("total", {"values": [2, 3], "label": "q1"}), text_reply("Total 5.")]
    with FakeOpenAI(replies) as server:
        outcome = _run(counter, _settings(server))
    assert outcome.text == "Total 5."
    (step,) = outcome.steps
    assert (step.tool, step.input, step.output) == (
        "total",
        {"values": [2, 3], "label": "q1"},
        {"total": 5, "label": "q1"},
    )
    second = server.completions[1].body["messages"]
    tool_message = next(message for message in second if message["role"] == "tool")
    assert tool_message["tool_call_id"] == "call_1"
    assert json.dumps({"total": 5, "label": "q1"}) in tool_message["content"]
    assert "<<<BEGIN DATA total-result " in tool_message["content"]


def test_a_tool_the_task_does_not_allow_is_refused(counter: Counter) -> None:
    """The model asking for a tool outside the allow-list ends the run: ToolFailed."""
    with (
        FakeOpenAI([tool_call_reply("secret", {"values": [1]}), text_reply("x")]) as server,
        pytest.raises(ToolFailed, match="secret"),
    ):
        _run(counter, _settings(server))
    assert counter.calls == []


@pytest.mark.parametrize(
    ("reply", "max_retries"),
    [
        (Reply(status=429, body={"error": {"message": "slow"}}, headers={"Retry-After": "0"}), 1),
        (Reply(status=429, body={"error": {"message": "slow"}}, headers={"Retry-After": "0"}), 2),
        (Reply(status=500, body={"error": {"message": "oops"}}), 1),
        (Reply(status=503, body={"error": {"message": "down"}}), 0),
    ],
    ids=["429-retries-1", "429-retries-2", "500", "503-no-retry"],
)
def test_rate_limits_and_server_errors_retry_then_fail(
    counter: Counter, reply: Reply, max_retries: int
) -> None:
    """429 and 5xx: exactly max_retries + 1 attempts, then LLMUnavailable naming the status."""
    with (
        FakeOpenAI([reply]) as server,
        pytest.raises(LLMUnavailable, match=str(reply.status)) as caught,
    ):
        _run(counter, _settings(server, max_retries=max_retries))
    assert len(server.completions) == max_retries + 1
    assert KEY not in str(caught.value)
    assert caught.value.__cause__ is not None


def test_a_server_slower_than_the_timeout_fails_after_bounded_attempts(counter: Counter) -> None:
    """A server that sleeps past the timeout: max_retries + 1 attempts, then LLMUnavailable."""
    with (
        FakeOpenAI([Reply(delay=3.0, body={})]) as server,
        pytest.raises(LLMUnavailable, match=r"(?i)timed out"),
    ):
        _run(counter, _settings(server, timeout=0.3, max_retries=1))
    assert len(server.completions) == 2


@pytest.mark.parametrize(
    "reply",
    [Reply(body=b"this is not json"), Reply(body={"id": "x", "object": "chat.completion"})],
    ids=["not-json", "no-choices"],
)
def test_a_malformed_answer_is_a_bad_response(counter: Counter, reply: Reply) -> None:
    """A body that is not a completion: LLMBadResponse, within max_retries + 1 attempts."""
    with FakeOpenAI([reply]) as server, pytest.raises(LLMBadResponse):
        _run(counter, _settings(server, max_retries=2))
    assert 1 <= len(server.completions) <= 3


def test_a_refused_key_is_a_config_error_without_the_key(counter: Counter) -> None:
    """A 401 that echoes the key: LLMConfigError, no retry, the key nowhere in the message."""
    refusal = Reply(status=401, body={"error": {"message": f"Incorrect API key provided: {KEY}"}})
    with FakeOpenAI([refusal]) as server, pytest.raises(LLMConfigError, match="401") as caught:
        _run(counter, _settings(server, max_retries=2))
    assert len(server.completions) == 1
    assert KEY not in str(caught.value)


def test_an_unreachable_server_is_unavailable(counter: Counter) -> None:
    """Nothing listening: LLMUnavailable after the bounded retries, quickly."""
    with FakeOpenAI([]) as server:
        url = server.url
    settings = AgentSettings(model="openai/fake-model", base_url=url, api_key=KEY, max_retries=1)
    with pytest.raises(LLMUnavailable):
        _run(counter, settings)


@pytest.mark.parametrize(
    ("model", "match"),
    [
        ("nosuch/model-x", "unknown model provider 'nosuch'"),
        ("openai/gpt-4o-mini", "OPENAI_API_KEY"),
    ],
)
def test_misconfiguration_is_refused_before_any_request(
    counter: Counter, model: str, match: str
) -> None:
    """An unknown provider, or a cloud model without its key: LLMConfigError up front."""
    with pytest.raises(LLMConfigError, match=match):
        _run(counter, AgentSettings(model=model))


def test_a_tool_that_raises_runs_once_and_ends_the_run(counter: Counter) -> None:
    """With a model too, a raising tool runs once, is recorded, and ends in ToolFailed."""
    spec = crew(tool("broken", counter.broken))
    replies = [tool_call_reply("broken", {"values": [1]}), text_reply("never")]
    with FakeOpenAI(replies) as server, pytest.raises(ToolFailed) as caught:
        run_crew(spec, settings=_settings(server), inputs={"subject": "x"})
    assert counter.calls == [("broken", counter.calls[0][1])]
    assert caught.value.step is not None
    assert caught.value.step.error == "ZeroDivisionError: division by zero in the tool"
    assert len(server.completions) == 1
