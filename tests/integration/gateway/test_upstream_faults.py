"""Upstreams that break mid-answer, odd request targets, and the proxy's safety net."""

from __future__ import annotations

import logging

import httpx
import pytest

from backbone.gateway.proxy import PROBLEM_TYPES, Proxy

from ._servers import RawPeer, raw_exchange
from .conftest import Stack, run_stack


async def test_a_short_body_under_content_length_is_502() -> None:
    """An upstream that promises 100 bytes and sends 5: 502 bad response, not a short 200."""
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"
    async with (
        RawPeer(reply=reply) as peer,
        run_stack(route_options={"/garbage": {"upstreams": [peer.url]}}) as stack,
        httpx.AsyncClient(base_url=stack.gateway) as client,
    ):
        response = await client.get("/garbage/x")
    assert response.status_code == 502
    assert response.json()["type"] == PROBLEM_TYPES["upstream-bad-response"]


async def test_a_stream_cut_mid_way_is_cut_for_the_client(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A chunked answer the upstream abandons reaches the client truncated, never complete."""
    caplog.set_level(logging.WARNING, logger="backbone.gateway")
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
    async with (
        RawPeer(reply=reply) as peer,
        run_stack(route_options={"/garbage": {"upstreams": [peer.url]}}) as stack,
        httpx.AsyncClient(base_url=stack.gateway) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/garbage/x")
        assert (await client.get("/echo/next")).status_code == 200
    assert any("upstream_failed_mid_response" in r.getMessage() for r in caplog.records)


async def test_raw_utf8_in_the_target_is_refused_by_the_server(stack: Stack) -> None:
    """Raw non-ASCII bytes are not a valid request target: 400 before the gateway."""
    request = b"GET /echo/caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = await raw_exchange(stack.gateway, request)
    assert answer.startswith(b"HTTP/1.1 400")
    assert stack.echo_requests == []


async def test_raw_utf8_from_a_lenient_server_is_percent_encoded(stack: Stack) -> None:
    """Under a server that lets raw UTF-8 through, the gateway sends it on percent-encoded."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/echo/café",
        "raw_path": b"/echo/caf\xc3\xa9",
        "query_string": b"q=\xc3\xa9",
        "headers": [(b"host", b"x")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await stack.app(scope, receive, send)
    assert sent[0]["status"] == 200
    (seen,) = stack.echo_requests
    assert seen["raw_path"] == "/echo/caf%C3%A9"
    assert seen["query_string"] == "q=%C3%A9"


async def test_an_unexpected_error_is_a_500_problem_and_logged(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in the proxy answers 500 problem+json without a traceback; the next request works."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Proxy, "_forward", broken)
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/echo/x")
        monkeypatch.undo()
        after = await client.get("/echo/y")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "a bug" not in response.text
    assert after.status_code == 200
    errors = [r for r in caplog.records if r.getMessage().startswith("proxy_error")]
    assert errors
    assert errors[0].exc_info is not None
