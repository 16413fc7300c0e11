"""`backbone assistant` against an API that answers oddly: odd bodies, odd streams, lost links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.unit.cli._assistant_fake import (
    PNG,
    TASK,
    URL,
    events_ok,
    problem,
    sse,
    step,
    task,
)
from tests.unit.cli.conftest import AssistantCli

EMAIL = "ada@example.com"
ARTIFACT = f"/v1/tasks/{TASK}/artifacts/chart.png"


def _stream(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "text/event-stream"})


def test_an_error_without_problem_json_shows_its_text(assistant: AssistantCli) -> None:
    """A proxy's plain-text 502 is shown as status and text."""
    assistant.logged_in()
    assistant.api.answer("POST", "/v1/tasks", httpx.Response(502, text="upstream down"))
    result = assistant.run("analyze", "--orders")
    assert result.code == 1
    assert "not accepted: 502 Bad Gateway: upstream down" in result.err


def test_a_success_without_json_is_an_error(assistant: AssistantCli) -> None:
    """A 200 whose body is not a JSON object is reported, not a traceback."""
    assistant.logged_in()
    assistant.api.answer("GET", f"/v1/tasks/{TASK}", httpx.Response(200, text="<html>"))
    result = assistant.run("task", TASK)
    assert result.code == 1
    assert "answered 200 without a JSON object" in result.err


def test_a_token_answer_without_tokens_is_an_error(assistant: AssistantCli) -> None:
    """A 200 from /v1/auth/token without the pair stores nothing and says why."""
    assistant.api.answer("POST", "/v1/auth/token", httpx.Response(200, json={"token": "x"}))
    result = assistant.run("login", EMAIL, "--password-stdin", "--url", URL, stdin="pw\n")
    assert result.code == 1
    assert "no access_token or refresh_token" in result.err
    assert not assistant.store.path.exists()


def test_register_with_the_api_down(assistant: AssistantCli) -> None:
    """An unreachable API at register says where it looked and suggests `backbone up`."""
    assistant.api.answer("POST", "/v1/auth/register", httpx.ConnectError("refused"))
    result = assistant.run("register", EMAIL, "--password-stdin", stdin="long enough pw\n")
    assert result.code == 1
    assert "not reachable at http://127.0.0.1:8002" in result.err


def test_login_without_url_uses_the_last_logins(assistant: AssistantCli) -> None:
    """Without --url, login goes to the API of the stored login (else the default)."""
    assistant.logged_in()
    assistant.api.users[EMAIL] = "long enough pw"
    result = assistant.run("login", EMAIL, "--password-stdin", stdin="long enough pw\n")
    assert result.code == 0, result.err
    assert str(assistant.api.requests[0].url) == f"{URL}/v1/auth/token"


def test_the_url_comes_from_the_environment(
    assistant: AssistantCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BACKBONE_ASSISTANT_URL is the --url option's default."""
    monkeypatch.setenv("BACKBONE_ASSISTANT_URL", "http://env.test:9000/")
    result = assistant.run("register", EMAIL, "--password-stdin", stdin="long enough pw\n")
    assert result.code == 0, result.err
    assert str(assistant.api.requests[0].url) == "http://env.test:9000/v1/auth/register"


def test_an_event_stream_refused_is_final(assistant: AssistantCli) -> None:
    """A 404 on the events is not retried: exit 1 with its detail."""
    assistant.logged_in()
    assistant.api.events = [problem(404, "No task has that id.")]
    result = assistant.run("analyze", "--orders")
    assert result.code == 1
    assert "cannot follow task" in result.err
    assert "No task has that id." in result.err
    assert assistant.sleeps == []


def test_unknown_events_repeats_and_a_late_total(assistant: AssistantCli) -> None:
    """Unknown event types are skipped, a repeated step is shown once, and a total unknown
    at first is read again when steps arrive."""
    assistant.logged_in()
    assistant.api.task = {
        **task("pending"),
        "progress": {"completed_steps": 0, "total_steps": None},
    }
    body = sse(
        ("1", "step", step(1, "tool_1")),
        ("2", "heartbeat", {"at": 1}),
        ("2", "step", step(1, "tool_1")),
        ("3", "end", task(steps=1)),
    )
    assistant.api.events = [_stream(body)]
    result = assistant.run("analyze", "--orders")
    assert result.code == 0, result.err
    assert result.out.count("ran tool_1") == 1
    assert assistant.api.paths("GET").count(f"/v1/tasks/{TASK}") == 2


def test_an_event_that_is_not_json_is_an_error(assistant: AssistantCli) -> None:
    """A step whose data is not a JSON object ends the command with a clear message."""
    assistant.logged_in()
    assistant.api.events = [_stream(b"event: step\ndata: [1, 2]\n\n")]
    result = assistant.run("analyze", "--orders")
    assert result.code == 1
    assert "sent a step that is not a JSON object" in result.err


def test_an_artifact_not_ready_shows_the_409(assistant: AssistantCli) -> None:
    """A refused download shows the problem; no file is left behind."""
    assistant.logged_in()
    assistant.api.answer("GET", ARTIFACT, problem(409, "The task is not complete."))
    result = assistant.run("analyze", "--orders")
    assert result.code == 1
    assert "cannot download chart.png: 409 Conflict: The task is not complete." in result.err
    assert list(Path().iterdir()) == [Path("config")]


def test_a_download_cut_short_leaves_nothing(assistant: AssistantCli) -> None:
    """A connection lost mid-download removes the partial file and says so."""

    def cut() -> Iterator[bytes]:
        yield PNG[:8]
        raise httpx.ReadError("reset")

    assistant.logged_in()
    assistant.api.answer("GET", ARTIFACT, httpx.Response(200, content=cut()))
    result = assistant.run("analyze", "--orders")
    assert result.code == 1
    assert "lost the connection" in result.err
    assert list(Path().iterdir()) == [Path("config")]


def test_a_task_without_artifacts_saves_nothing(assistant: AssistantCli) -> None:
    """A complete task with no artifacts prints its report and creates no --out directory."""
    assistant.logged_in()
    final = task()
    final["result"]["artifacts"] = []
    assistant.api.events = [events_ok(final)]
    result = assistant.run("analyze", "--orders", "--out", "charts")
    assert result.code == 0, result.err
    assert not Path("charts").exists()


def test_logout_answered_with_an_error(assistant: AssistantCli) -> None:
    """A logout the API refuses (503) is reported; the local login is gone anyway."""
    assistant.logged_in()
    assistant.api.answer("POST", "/v1/auth/logout", problem(503, "Database down."))
    result = assistant.run("logout")
    assert result.code == 1
    assert "cannot log out: 503 Service Unavailable: Database down." in result.err
    assert not assistant.store.path.exists()


def test_ctrl_c_while_following_says_the_task_goes_on(assistant: AssistantCli) -> None:
    """Interrupting the follow exits 130 and says how to see the task later."""
    assistant.logged_in()
    assistant.api.events = [KeyboardInterrupt()]
    result = assistant.run("analyze", "--orders")
    assert result.code == 130
    assert f"task {TASK} goes on: see it with `backbone assistant task {TASK}`" in result.err
