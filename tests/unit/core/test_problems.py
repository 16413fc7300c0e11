"""Every kind of error is answered with RFC 9457 application/problem+json."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import HTTPException, Request

from backbone.core import (
    PROBLEM_MEDIA_TYPE,
    CoreSettings,
    ProblemError,
    create_service_app,
    problem_response,
)
from backbone.core.problems import (
    MAX_REPORTED_ERRORS,
    current_request_id,
    status_phrase,
    unhandled_exception_handler,
    validation_errors,
)


def _assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str)
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_routing_404(client: httpx.AsyncClient) -> None:
    """An unknown path is a 404 problem naming the path."""
    body = _assert_problem(await client.get("/nowhere"), 404)
    assert body["instance"] == "/nowhere"
    assert body["title"] == "Not Found"


async def test_routing_405_lists_every_allowed_method(client: httpx.AsyncClient) -> None:
    """A wrong method is a 405 problem whose Allow lists every method of the path."""
    response = await client.delete("/items/1")
    _assert_problem(response, 405)
    assert response.headers["allow"] == "GET"


async def test_validation_422_lists_errors_without_input(client: httpx.AsyncClient) -> None:
    """A body that does not validate is 422 with {loc, msg, type}, never the input."""
    response = await client.post("/items", json={"name": "n", "count": "not-a-number-xyz"})
    body = _assert_problem(response, 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors[0]["loc"] == ["body", "count"]
    assert set(errors[0]) == {"loc", "msg", "type"}
    assert "not-a-number-xyz" not in response.text


async def test_path_parameter_422(client: httpx.AsyncClient) -> None:
    """An invalid path parameter is a 422 problem too."""
    body = _assert_problem(await client.get("/items/abc"), 422)
    assert body["errors"][0]["loc"] == ["path", "item_id"]  # type: ignore[index]


async def test_malformed_json_is_a_problem(client: httpx.AsyncClient) -> None:
    """Malformed JSON is reported as a problem, not a framework default body."""
    response = await client.post(
        "/items", content=b"{not json", headers={"content-type": "application/json"}
    )
    _assert_problem(response, 422)


async def test_unhandled_exception_is_generic_500(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An unhandled exception is a 500 problem; the traceback is only in the server log."""
    with caplog.at_level(logging.ERROR):
        response = await client.get("/boom")
    body = _assert_problem(response, 500)
    assert "secret-internal-detail" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"] == "An unexpected error occurred."
    assert "secret-internal-detail" in caplog.text
    assert any(record.exc_info for record in caplog.records)


async def test_service_still_serves_after_500(client: httpx.AsyncClient) -> None:
    """After an unhandled exception the next request is served normally."""
    await client.get("/boom")
    assert (await client.get("/items/3")).json() == {"item_id": 3}


async def test_problem_error_keeps_status_and_headers(client: httpx.AsyncClient) -> None:
    """ProblemError raised by a service becomes its problem, headers included."""
    response = await client.get("/teapot")
    body = _assert_problem(response, 429)
    assert body["detail"] == "slow down"
    assert response.headers["retry-after"] == "7"


async def test_problem_error_extension_members(client: httpx.AsyncClient) -> None:
    """A ProblemError's extension members (``pointer``) reach the body beside the standard ones."""
    body = _assert_problem(await client.get("/pointed"), 422)
    assert (body["detail"], body["pointer"]) == ("bad cell", "line 7")


def test_problem_error_defaults() -> None:
    """A ProblemError without a title takes the status phrase."""
    error = ProblemError(503)
    assert error.title == "Service Unavailable"
    assert str(error) == "503 Service Unavailable"


def test_problem_response_omits_absent_members() -> None:
    """Optional members that are None are left out of the body."""
    response = problem_response(400, detail=None)
    assert response.body == b'{"type":"about:blank","title":"Bad Request","status":400}'
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


def test_unknown_status_phrase() -> None:
    """A status Python has no phrase for is titled 'Error'."""
    assert status_phrase(599) == "Error"


def test_validation_errors_are_bounded() -> None:
    """At most MAX_REPORTED_ERRORS errors are reported, messages truncated."""
    many = [{"loc": ("body", i), "msg": "x" * 1000, "type": "t", "input": "big"} for i in range(99)]
    reported = validation_errors(many)
    assert len(reported) == MAX_REPORTED_ERRORS
    assert len(reported[0]["msg"]) == 200
    assert "input" not in reported[0]


def test_request_id_from_scope_state_outside_context() -> None:
    """Outside the request-id context the id is read from the scope state."""
    assert current_request_id({"state": {"request_id": "from-scope"}}) == "from-scope"
    assert current_request_id({"state": {}}) is None
    assert current_request_id({}) is None
    assert current_request_id() is None


async def test_http_exception_below_400_has_no_problem_body() -> None:
    """An HTTPException carrying a non-error status (e.g. 304) gets an empty response."""
    app = create_service_app(
        title="t",
        version="0",
        settings=CoreSettings(_env_file=None),  # type: ignore[call-arg]
    )

    @app.get("/cached")
    async def cached() -> None:
        raise HTTPException(304, headers={"ETag": '"v1"'})

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/cached")
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == '"v1"'


async def test_fallback_handler_for_server_error_middleware(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The 500 handler Starlette's outermost middleware uses is also problem+json and logs."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/x",
        "headers": [],
        "query_string": b"",
        "state": {"request_id": "rid-9"},
    }
    try:
        raise ValueError("hidden")
    except ValueError as exc:
        with caplog.at_level(logging.ERROR):
            response = await unhandled_exception_handler(Request(scope), exc)
    assert response.status_code == 500
    assert b"hidden" not in response.body
    assert b'"request_id":"rid-9"' in response.body
    assert caplog.records[-1].request_id == "rid-9"  # type: ignore[attr-defined]
    assert "hidden" in caplog.text
