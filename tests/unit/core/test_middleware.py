"""Request ids (kept, generated, replaced) and the request body size limit."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from backbone.core import PROBLEM_MEDIA_TYPE
from backbone.core.logging import request_id_var
from backbone.core.middleware import (
    BodySizeLimitMiddleware,
    RequestBodyTooLarge,
    RequestIdMiddleware,
    UnhandledErrorMiddleware,
)
from tests.unit.core.conftest import BODY_LIMIT

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


async def test_valid_request_id_is_kept(client: httpx.AsyncClient) -> None:
    """A valid incoming X-Request-ID comes back unchanged."""
    response = await client.get("/healthz", headers={"X-Request-ID": "abc.DEF_1:2-3"})
    assert response.headers["x-request-id"] == "abc.DEF_1:2-3"


async def test_missing_request_id_is_generated(client: httpx.AsyncClient) -> None:
    """Without X-Request-ID a fresh uuid4 hex id is returned, different each time."""
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert HEX_ID.match(first)
    assert first != second


@pytest.mark.parametrize("bad", ["", "x" * 129, "has space", "semi;colon", "é"])
async def test_invalid_request_id_is_replaced(client: httpx.AsyncClient, bad: str) -> None:
    """An invalid X-Request-ID (empty, too long, odd characters) is replaced."""
    response = await client.get("/healthz", headers={"X-Request-ID": bad.encode()})
    assert HEX_ID.match(response.headers["x-request-id"])


async def test_request_id_in_contextvar_during_request() -> None:
    """Handlers see the request id in the log contextvar; it is cleared afterwards."""
    seen: list[str | None] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(request_id_var.get())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    wrapped = RequestIdMiddleware(app)
    transport = httpx.ASGITransport(app=wrapped)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/", headers={"X-Request-ID": "rid-1"})
    assert seen == ["rid-1"]
    assert response.headers["x-request-id"] == "rid-1"
    assert request_id_var.get() is None


async def test_declared_body_over_limit_is_413(client: httpx.AsyncClient) -> None:
    """A Content-Length over the limit is refused with 413 before the body is read."""
    response = await client.post("/echo-size", content=b"x" * (BODY_LIMIT + 1))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_body_at_limit_is_accepted(client: httpx.AsyncClient) -> None:
    """A body exactly at the limit is served."""
    response = await client.post("/echo-size", content=b"x" * BODY_LIMIT)
    assert response.json() == {"size": BODY_LIMIT}


async def _chunks(count: int, size: int = 16) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"y" * size


async def test_chunked_body_over_limit_is_413(client: httpx.AsyncClient) -> None:
    """A chunked body (no Content-Length) is cut off with 413 once it passes the limit."""
    response = await client.post("/echo-size", content=_chunks(BODY_LIMIT // 16 + 2))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


async def test_chunked_body_under_limit_is_read(client: httpx.AsyncClient) -> None:
    """A chunked body under the limit is read whole."""
    response = await client.post("/echo-size", content=_chunks(2))
    assert response.json() == {"size": 32}


async def test_chunked_json_body_over_limit_is_413(client: httpx.AsyncClient) -> None:
    """A JSON body parsed by FastAPI is limited the same way (413, not 400)."""
    response = await client.post(
        "/items", content=_chunks(10), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(("value", "expected"), [("12", 12), ("abc", 0), ("-5", 0), (None, 0)])
def test_declared_length(value: str | None, expected: int) -> None:
    """Only a plain non-negative Content-Length counts as a declared size."""
    headers = [] if value is None else [(b"content-length", value.encode())]
    scope: Scope = {"type": "http", "headers": headers}
    assert BodySizeLimitMiddleware._declared_length(scope) == expected


async def _raw_app_reading_body(scope: Scope, receive: Receive, send: Send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def test_limit_handles_raw_asgi_app() -> None:
    """Outside FastAPI the middleware itself answers 413 when receive overflows."""
    app = BodySizeLimitMiddleware(_raw_app_reading_body, max_body_bytes=4)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/", content=_chunks(2, size=3))
    assert response.status_code == 413


async def test_a_path_can_have_a_limit_of_its_own() -> None:
    """``path_limits`` raises the limit for one path (an upload) and no other."""
    app = BodySizeLimitMiddleware(
        _raw_app_reading_body, max_body_bytes=4, path_limits={"/upload": 10}
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.post("/upload", content=b"x" * 10)).status_code == 200
        assert (await client.post("/upload", content=b"x" * 11)).status_code == 413
        assert (await client.post("/other", content=b"x" * 5)).status_code == 413


async def test_limit_reraises_when_response_started() -> None:
    """Once the response has started, the overflow propagates (nothing else can be sent)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            pass

    messages = iter(
        [
            {"type": "http.request", "body": b"12345", "more_body": True},
            {"type": "http.request", "body": b"", "more_body": False},
        ]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    with pytest.raises(RequestBodyTooLarge):
        await BodySizeLimitMiddleware(app, max_body_bytes=4)(scope, receive, send)
    assert [m["type"] for m in sent] == ["http.response.start"]


async def test_non_http_scopes_pass_through() -> None:
    """Lifespan and websocket scopes go straight to the app through every middleware."""
    calls: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["type"])

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        return None

    for middleware in (
        RequestIdMiddleware(app),
        BodySizeLimitMiddleware(app, max_body_bytes=1),
        UnhandledErrorMiddleware(app),
    ):
        await middleware({"type": "lifespan"}, receive, send)
    assert calls == ["lifespan"] * 3


async def test_unhandled_error_after_response_start_propagates() -> None:
    """An exception after the response started cannot become a 500: it propagates."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("mid-stream")

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        return None

    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    with pytest.raises(RuntimeError, match="mid-stream"):
        await UnhandledErrorMiddleware(app)(scope, receive, send)
