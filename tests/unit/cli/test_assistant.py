"""`backbone assistant analyze|tasks|task` against a fake assistant API (httpx.MockTransport)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import httpx
import pytest
import typer
from typer.testing import CliRunner

from backbone.cli import app
from backbone.cli._assistant import DEFAULT_URL, _context
from backbone.cli._assistant_tasks import MAX_RECONNECTS
from tests.unit.cli._assistant_fake import (
    DATASET,
    PNG,
    TASK,
    URL,
    dropping,
    events_ok,
    problem,
    sse,
    step,
    task,
)
from tests.unit.cli.conftest import AssistantCli

EVENTS = f"/v1/tasks/{TASK}/events"


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    """A small CSV file to upload."""
    path = tmp_path / "sales.csv"
    path.write_text("month,revenue\n2025-01,10\n2025-02,12\n")
    return path


def test_analyze_end_to_end(assistant: AssistantCli, csv_file: Path, tmp_path: Path) -> None:
    """Upload, 202, two steps and the end over SSE: steps shown, report printed, chart saved."""
    assistant.logged_in()
    result = assistant.run(
        "analyze",
        str(csv_file),
        "--question",
        "Trend?",
        "--name",
        "Sales",
        "--out",
        str(tmp_path / "charts"),
    )
    assert result.code == 0, result.err
    upload, submit = assistant.api.requests[0], assistant.api.requests[1]
    assert upload.url.path == "/v1/datasets"
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="sales.csv"\r\nContent-Type: text/csv' in upload.content
    assert b'name="name"\r\n\r\nSales' in upload.content
    assert json.loads(submit.content) == {
        "type": "analysis",
        "input": {"dataset_id": DATASET, "question": "Trend?"},
    }
    chart = tmp_path / "charts" / f"{TASK}-chart.png"
    assert chart.read_bytes() == PNG
    for text in (
        f"task {TASK}",
        "step 1: analyst ran tool_1",
        "step 2: analyst ran tool_2",
        "Revenue grew 12% month over month.",
        "2/2",
        f"chart.png saved to {chart}",
    ):
        assert text in result.out
    assert [
        line.split() for line in result.out.splitlines() if line.startswith(("rows", "col"))
    ] == [["rows", "120"], ["columns", "3"]]
    assert assistant.api.requests[-1].url.path == f"/v1/tasks/{TASK}/artifacts/chart.png"


def test_analyze_saves_the_chart_in_the_current_directory(
    assistant: AssistantCli, tmp_path: Path
) -> None:
    """Without --out the chart lands in the working directory; JSON is sent as JSON."""
    assistant.logged_in()
    data = tmp_path / "rows.json"
    data.write_text('[{"a": 1}]')
    assert assistant.run("analyze", str(data)).code == 0
    assert b"Content-Type: application/json" in assistant.api.requests[0].content
    assert (tmp_path / f"{TASK}-chart.png").read_bytes() == PNG


def test_analyze_orders_and_no_follow(assistant: AssistantCli) -> None:
    """`--orders` submits the orders source; `--no-follow` returns after the 202."""
    assistant.logged_in()
    result = assistant.run("analyze", "--orders", "--no-follow")
    assert result.code == 0, result.err
    assert json.loads(assistant.api.requests[0].content) == {
        "type": "analysis",
        "input": {"source": "orders"},
    }
    assert assistant.api.paths() == ["/v1/tasks"]
    assert f"backbone assistant task {TASK}" in result.out


def test_a_dropped_stream_resumes_with_last_event_id(assistant: AssistantCli) -> None:
    """After a drop the stream is reopened with Last-Event-ID; each step is shown once."""
    assistant.logged_in()
    first = sse(("1", "step", step(1, "tool_1"))) + b'id: 2\nevent: step\ndata: {"ind'
    rest = sse(("2", "step", step(2, "tool_2")), ("3", "end", task()))
    assistant.api.events = [
        httpx.Response(200, content=dropping(first)),
        problem(503, "The database cannot be reached."),
        httpx.Response(200, content=rest),
    ]
    result = assistant.run("analyze", "--orders")
    assert result.code == 0, result.err
    streams = [r for r in assistant.api.requests if r.url.path == EVENTS]
    assert [r.headers.get("last-event-id") for r in streams] == [None, "1", "1"]
    assert streams[0].headers["accept"] == "text/event-stream"
    assert result.out.count("ran tool_1") == 1
    assert result.out.count("ran tool_2") == 1
    assert "the event stream dropped (connection reset by peer)" in result.out
    assert assistant.sleeps == [0.5, 1.0]


def test_the_servers_retry_sets_the_first_wait(assistant: AssistantCli) -> None:
    """A `retry:` field (ms) replaces the initial backoff; a clean close counts as a drop."""
    assistant.logged_in()
    assistant.api.events = [httpx.Response(200, content=b"retry: 3000\n\n"), events_ok()]
    assert assistant.run("analyze", "--orders").code == 0
    assert assistant.sleeps == [3.0]


def test_a_stream_that_keeps_dropping_gives_up(assistant: AssistantCli) -> None:
    """After MAX_RECONNECTS drops in a row without news, exit 1 naming the task."""
    assistant.logged_in()
    assistant.api.events = [httpx.ReadError("reset")] * (MAX_RECONNECTS + 1)
    result = assistant.run("analyze", "--orders")
    assert result.code == 1
    assert f"the event stream of task {TASK} kept dropping" in result.err
    assert assistant.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_a_failed_task_exits_1_with_its_error(assistant: AssistantCli, tmp_path: Path) -> None:
    """An `end` with a failed task prints its error, exit 1, and downloads nothing."""
    assistant.logged_in()
    assistant.api.events = [events_ok(task("failed", error="the dataset has no numeric column"))]
    result = assistant.run("analyze", "--orders")
    assert result.code == 1
    assert f"task {TASK} failed: the dataset has no numeric column" in result.err
    assert not any("artifacts" in p for p in assistant.api.paths())
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.parametrize(
    ("status", "detail", "pointer", "shown"),
    [
        (422, "Line 3: expected 2 fields, saw 3.", "/file/line/3", "(at /file/line/3)"),
        (415, "Upload a CSV or JSON file.", None, "415 Unsupported Media Type"),
        (413, "The file is over 10 MiB.", None, "413 Request Entity Too Large"),
    ],
)
def test_upload_problems_are_shown(
    assistant: AssistantCli,
    csv_file: Path,
    status: int,
    detail: str,
    pointer: str | None,
    shown: str,
) -> None:
    """A refused upload shows the problem's detail (and pointer), exit 1, nothing submitted."""
    assistant.logged_in()
    extra = {"pointer": pointer} if pointer else {}
    assistant.api.answer("POST", "/v1/datasets", problem(status, detail, **extra))
    result = assistant.run("analyze", str(csv_file))
    assert result.code == 1
    assert f"cannot upload sales.csv: {status}" in result.err
    assert detail in result.err
    assert shown in result.err
    assert "/v1/tasks" not in assistant.api.paths()
    assert isinstance(result.exception, SystemExit)


def test_a_refused_submission_shows_retry_after(assistant: AssistantCli) -> None:
    """A 429 at submit says when to try again."""
    assistant.logged_in()
    refused = problem(429, "Too many tasks.")
    refused.headers["Retry-After"] = "30"
    assistant.api.answer("POST", "/v1/tasks", refused)
    result = assistant.run("analyze", "--orders")
    assert result.code == 1
    assert "not accepted: 429 Too Many Requests: Too many tasks. (retry after 30 s)" in result.err


def test_an_unreachable_api_suggests_backbone_up(assistant: AssistantCli) -> None:
    """Connection refused: says the API is not reachable at its URL and suggests `backbone up`."""
    assistant.logged_in()
    assistant.api.answer("POST", "/v1/tasks", httpx.ConnectError("[Errno 111] Connection refused"))
    result = assistant.run("analyze", "--orders")
    assert result.code == 1
    assert f"the assistant API is not reachable at {URL}" in result.err
    assert "`backbone up`" in result.err
    assert "Traceback" not in result.err
    assert isinstance(result.exception, SystemExit)


def test_an_unsafe_artifact_name_is_refused(assistant: AssistantCli, tmp_path: Path) -> None:
    """An artifact named like a path is not downloaded, and nothing is written outside --out."""
    assistant.logged_in()
    final = task()
    final["result"]["artifacts"][0]["name"] = "../escape.png"
    assistant.api.events = [events_ok(final)]
    result = assistant.run("analyze", "--orders", "--out", str(tmp_path / "out"))
    assert result.code == 1
    assert "not a plain file name" in result.err
    assert not (tmp_path / "escape.png").exists()


def test_control_characters_from_the_api_are_not_printed(assistant: AssistantCli) -> None:
    """Terminal escape sequences in a report reach the screen defused."""
    assistant.logged_in()
    final = task()
    final["result"]["text"] = "ok\x1b]0;pwned\x07\x1b[2J done"
    assistant.api.events = [events_ok(final)]
    result = assistant.run("analyze", "--orders")
    assert result.code == 0, result.err
    assert "\x1b" not in result.out
    assert "done" in result.out


@pytest.mark.parametrize("both", [False, True])
def test_analyze_needs_exactly_one_source(
    assistant: AssistantCli, csv_file: Path, both: bool
) -> None:
    """Neither or both of FILE and --orders is a usage error (exit 2), before any request."""
    result = assistant.run("analyze", *(["--orders", str(csv_file)] if both else []))
    assert result.code == 2
    assert "give a FILE or --orders" in result.err
    assert assistant.api.requests == []


def test_analyze_refuses_other_file_kinds(assistant: AssistantCli, tmp_path: Path) -> None:
    """A FILE that is neither .csv nor .json is a usage error (exit 2)."""
    other = tmp_path / "notes.txt"
    other.write_text("hi")
    result = assistant.run("analyze", str(other))
    assert result.code == 2
    assert ".csv or a .json" in result.err


def test_tasks_lists_a_table(assistant: AssistantCli) -> None:
    """`tasks --status complete` asks for that page and shows it as a table."""
    assistant.logged_in()
    result = assistant.run("tasks", "--status", "complete", "--limit", "5")
    assert result.code == 0, result.err
    assert dict(assistant.api.requests[0].url.params) == {"limit": "5", "status": "complete"}
    assert TASK in result.out
    assert "1 of 1 tasks" in result.out


def test_task_shows_steps_and_report(assistant: AssistantCli) -> None:
    """`task ID` shows the state, the steps, the report and the artifacts."""
    assistant.logged_in()
    assistant.api.task = task()
    result = assistant.run("task", TASK)
    assert result.code == 0, result.err
    for text in ("complete", "tool_2", "Revenue grew", "artifact chart.png"):
        assert text in result.out


def test_task_with_a_malformed_id_is_a_usage_error(assistant: AssistantCli) -> None:
    """A TASK_ID that is not a UUID is refused before any request (exit 2)."""
    assistant.logged_in()
    result = assistant.run("task", "../users")
    assert result.code == 2
    assert assistant.api.requests == []


def test_an_unknown_task_shows_the_404(assistant: AssistantCli) -> None:
    """A task the API does not know (or not ours) shows its 404 detail, exit 1."""
    assistant.logged_in()
    assistant.api.answer("GET", f"/v1/tasks/{TASK}", problem(404, "No task has that id."))
    result = assistant.run("task", TASK)
    assert result.code == 1
    assert "404 Not Found: No task has that id." in result.err


def test_help_lists_the_commands() -> None:
    """`backbone assistant --help` names every command; the top-level help names assistant."""
    result = CliRunner().invoke(app, ["assistant", "--help"])
    assert result.exit_code == 0
    for command in ("register", "login", "logout", "analyze", "tasks", "task"):
        assert command in result.output
    assert "assistant" in CliRunner().invoke(app, ["--help"]).output


def test_default_client_and_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without an injected client the commands use a real one and the XDG credentials file."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    deps = _context(typer.Context(click.Command("tasks")))
    assert deps.transport is None
    assert deps.store().path == tmp_path / "backbone" / "assistant.json"
    client = deps.client(DEFAULT_URL)
    try:
        assert str(client.base_url) == DEFAULT_URL
    finally:
        client.close()


def test_a_url_that_is_not_http_is_a_usage_error(assistant: AssistantCli) -> None:
    """`--url ftp://...` is refused (exit 2) before any request."""
    result = assistant.run(
        "login", "a@example.com", "--password-stdin", "--url", "ftp://x", stdin="pw\n"
    )
    assert result.code == 2
    assert "not an http(s) URL" in result.err
