"""`backbone reports submit` and `wait`, against a fake report API (httpx.MockTransport)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import click
import httpx
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from backbone.cli import app
from backbone.cli._reports import (
    MAX_TRANSIENT,
    ApiError,
    ReportsClient,
    _context,
    follow,
    submit,
)

JOB = "6f1c3a52-1d2e-4c5b-8a9f-0123456789ab"
URL = "http://reports.test:8001"


def _status(state: str, progress: int = 0, error: str | None = None) -> dict[str, Any]:
    return {
        "job_id": JOB,
        "status": state,
        "progress": progress,
        "error": error,
        "links": {"status": f"/reports/{JOB}/status", "report": f"/reports/{JOB}"},
    }


class FakeApi:
    """Answers status polls from a script of answers; records every request."""

    def __init__(self, answers: list[httpx.Response | Exception] | None = None) -> None:
        self.answers: Iterator[httpx.Response | Exception] = iter(answers or [])
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = next(self.answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=URL, transport=httpx.MockTransport(self))


def _ok(state: str, progress: int = 0, error: str | None = None) -> httpx.Response:
    return httpx.Response(200, json=_status(state, progress, error))


def _problem(status: int, detail: str, **headers: str) -> httpx.Response:
    body = {"type": "about:blank", "title": "x", "status": status, "detail": detail}
    return httpx.Response(status, json=body, headers=headers)


ACCEPTED = httpx.Response(
    202, json={"job_id": JOB}, headers={"Location": f"/reports/{JOB}/status", "Retry-After": "2"}
)


def test_submit_without_title_sends_no_body() -> None:
    """submit() posts no body by default and returns the id and the absolute status URL."""
    api = FakeApi([ACCEPTED])
    assert submit(api.client(), title=None) == (JOB, f"{URL}/reports/{JOB}/status")
    assert (api.requests[0].method, api.requests[0].url.path) == ("POST", "/generate-report")
    assert api.requests[0].content == b""


def test_submit_with_title_sends_json() -> None:
    """A title goes in a JSON body."""
    api = FakeApi([ACCEPTED])
    submit(api.client(), title="Q3")
    assert json.loads(api.requests[0].content) == {"title": "Q3"}
    assert api.requests[0].headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (_problem(503, "The broker cannot be reached.", **{"Retry-After": "2"}), "retry after 2 s"),
        (_problem(422, "The request did not validate."), "422 Unprocessable Entity"),
        (httpx.Response(500, text="oops"), "500 Internal Server Error: oops"),
        (httpx.ConnectError("refused"), "cannot reach the report API"),
    ],
)
def test_submit_refused(answer: httpx.Response | Exception, expected: str) -> None:
    """A refusal or an unreachable API is an ApiError saying why."""
    with pytest.raises(ApiError, match=expected):
        submit(FakeApi([answer]).client(), title=None)


def test_follow_polls_until_final() -> None:
    """follow() reports every status and stops at the first final one, sleeping between."""
    api = FakeApi([_ok("pending"), _ok("in-progress", 40), _ok("complete", 100)])
    seen: list[tuple[str, int]] = []
    sleeps: list[float] = []
    final = follow(
        api.client(),
        JOB,
        interval=0.25,
        on_status=lambda s: seen.append((s["status"], s["progress"])),
        sleep=sleeps.append,
    )
    assert final["status"] == "complete"
    assert seen == [("pending", 0), ("in-progress", 40), ("complete", 100)]
    assert sleeps == [0.25, 0.25]
    assert {r.url.path for r in api.requests} == {f"/reports/{JOB}/status"}


def test_follow_waits_out_a_restarting_api() -> None:
    """Connection errors and 503s in between are waited out, not fatal."""
    answers: list[httpx.Response | Exception] = [
        httpx.ConnectError("refused"),
        _problem(503, "database down"),
        _ok("failed", 20, "boom"),
    ]
    final = follow(FakeApi(answers).client(), JOB, interval=0, on_status=lambda s: None, sleep=id)
    assert (final["status"], final["error"]) == ("failed", "boom")


def test_follow_gives_up_after_too_many_transient_failures() -> None:
    """An API that never comes back ends the wait with an ApiError."""
    api = FakeApi([httpx.ConnectError("refused")] * (MAX_TRANSIENT + 1))
    with pytest.raises(ApiError, match="stopped answering"):
        follow(api.client(), JOB, interval=0, on_status=lambda s: None, sleep=id)
    assert len(api.requests) == MAX_TRANSIENT + 1


def test_follow_unknown_job_is_an_error() -> None:
    """A 404 is final: no job to wait for."""
    with pytest.raises(ApiError, match="404 Not Found: No job has id"):
        follow(
            FakeApi([_problem(404, f"No job has id {JOB}.")]).client(),
            JOB,
            interval=0,
            on_status=lambda s: None,
            sleep=id,
        )


def _run(args: list[str], api: FakeApi) -> tuple[int, str, str]:
    """Run the CLI against ``api``; exit code, stdout (the console's) and stderr."""
    out = io.StringIO()
    deps = ReportsClient(
        transport=httpx.MockTransport(api),
        sleep=lambda _: None,
        console=Console(file=out, width=200, markup=False),
    )
    result = CliRunner().invoke(app, ["reports", *args, "--url", URL], obj=deps)
    return result.exit_code, out.getvalue() + result.stdout, result.stderr


def test_cli_submit_prints_id_then_status_url() -> None:
    """`reports submit --title T` prints the job id on its own line, then the status URL."""
    api = FakeApi([ACCEPTED])
    code, out, _ = _run(["submit", "--title", "Q3"], api)
    assert code == 0
    assert out.splitlines()[:2] == [JOB, f"status: {URL}/reports/{JOB}/status"]
    assert json.loads(api.requests[0].content) == {"title": "Q3"}


def test_cli_submit_refused_exits_1() -> None:
    """A 503 at submit is reported on stderr with exit code 1."""
    code, _, err = _run(["submit"], FakeApi([_problem(503, "broker down", **{"Retry-After": "2"})]))
    assert code == 1
    assert "not accepted: 503 Service Unavailable: broker down (retry after 2 s)" in err


def test_cli_wait_complete_exits_0() -> None:
    """`reports wait` follows the job to complete and names the report's URL."""
    api = FakeApi([_ok("pending"), _ok("in-progress", 50), _ok("complete", 100)])
    code, out, _ = _run(["wait", JOB], api)
    assert code == 0
    assert f"complete: {URL}/reports/{JOB}" in out
    assert "100%" in out
    assert len(api.requests) == 3


@pytest.mark.parametrize(
    ("final", "reason"),
    [(_ok("failed", 30, "soft time limit"), "soft time limit"), (_ok("cancelled"), "no reason")],
)
def test_cli_wait_failed_or_cancelled_exits_1(final: httpx.Response, reason: str) -> None:
    """A failed or cancelled job ends the wait with exit code 1 and the reason."""
    state = final.json()["status"]
    code, _, err = _run(["wait", JOB], FakeApi([_ok("pending"), final]))
    assert code == 1
    assert f"job {JOB} {state}: {reason}" in err


def test_cli_wait_unknown_job_exits_1() -> None:
    """Waiting for a job the API does not know exits 1 with its answer."""
    code, _, err = _run(["wait", JOB], FakeApi([_problem(404, "No job has that id.")]))
    assert code == 1
    assert "404 Not Found: No job has that id." in err


def test_cli_wait_malformed_id_is_a_usage_error() -> None:
    """A JOB_ID that is not a UUID is refused before any request (exit 2)."""
    api = FakeApi()
    code, _, err = _run(["wait", "not-a-job"], api)
    assert code == 2
    assert "not a job id" in err
    assert api.requests == []


def test_reports_help_lists_both_commands() -> None:
    """`backbone reports --help` names submit and wait; the top-level help names reports."""
    result = CliRunner().invoke(app, ["reports", "--help"])
    assert result.exit_code == 0
    assert "submit" in result.output
    assert "wait" in result.output
    assert "reports" in CliRunner().invoke(app, ["--help"]).output


def test_default_client_reaches_the_url() -> None:
    """Without an injected client the commands build a real one for the given URL."""
    deps = _context(typer.Context(click.Command("wait")))
    assert deps.transport is None
    client = deps.client(URL)
    try:
        assert str(client.base_url) == URL
    finally:
        client.close()
