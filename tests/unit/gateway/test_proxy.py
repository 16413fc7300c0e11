"""The proxy's own answers, driven as a raw ASGI app with an in-memory upstream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.types import Message

from backbone.core.http import HTTP_METHODS, encode_problem
from backbone.core.middleware import RequestIdMiddleware
from backbone.gateway.config import GatewaySettings, RouteConfig
from backbone.gateway.metrics import GatewayMetrics
from backbone.gateway.proxy import Proxy
from backbone.gateway.routing import RouteTable
from backbone.resilience import ResilientClient, RetryPolicy
from tests.unit.core.test_http import INVALID_IDS, VALID_IDS

ROUTE = RouteConfig(prefix="/echo", upstreams=["http://127.0.0.1:9"], retries=0)


class Answer:
    """What the proxy sent: status, headers (lower-case names), body."""

    def __init__(self, messages: list[Message]) -> None:
        start, *bodies = messages
        self.status: int = start["status"]
        self.headers: dict[bytes, bytes] = dict(start["headers"])
        self.body = b"".join(message.get("body", b"") for message in bodies)


async def serve(
    method: str = "GET",
    path: bytes = b"/echo/x",
    *,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    upstream: httpx.MockTransport | None = None,
) -> Answer:
    """One request through a proxy whose route's upstream is ``upstream`` (none: refusals)."""
    settings = GatewaySettings(_env_file=None, routes=[ROUTE])  # type: ignore[call-arg]
    metrics = GatewayMetrics(CollectorRegistry())
    clients = {}
    if upstream is not None:
        policy = RetryPolicy(max_retries=0)
        clients["echo"] = ResilientClient(transport=upstream, policy=policy)
    proxy = Proxy(settings=settings, clients=clients, metrics=metrics)
    route = RouteTable(settings.routes).routes[0]
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "scheme": "http",
        "path": path.decode(),
        "raw_path": path,
        "query_string": query,
        "headers": headers or [],
        "client": ("127.0.0.1", 50000),
    }
    sent: list[Message] = []

    request = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if request:
            return request.pop()
        await asyncio.Event().wait()  # the client stays connected: nothing more to say
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await proxy(scope, receive, send, route)
    return Answer(sent)


async def test_a_method_not_forwarded_is_405_listing_the_core_methods() -> None:
    """TRACE is refused; Allow lists exactly HTTP_METHODS, in order."""
    answer = await serve("TRACE")
    assert answer.status == 405
    assert answer.headers[b"allow"] == ", ".join(HTTP_METHODS).encode()


@pytest.mark.parametrize("method", [*HTTP_METHODS, "TRACE"])
def test_gateway_metrics_count_the_core_methods_by_name(method: str) -> None:
    """The gateway labels a request with its method when it is one of HTTP_METHODS."""
    metrics = GatewayMetrics(CollectorRegistry())
    metrics.request("echo", method, 200)
    label = method if method in HTTP_METHODS else "OTHER"
    labels = {"route": "echo", "method": label, "status": "200"}
    assert metrics.registry.get_sample_value("gateway_requests_total", labels) == 1


async def _service_keeps(request_id: bytes) -> bool:
    """Whether a FastAPI service's RequestIdMiddleware keeps ``request_id``."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    transport = httpx.ASGITransport(app=RequestIdMiddleware(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/", headers=[(b"x-request-id", request_id)])
    return response.headers["x-request-id"].encode() == request_id


@pytest.mark.parametrize("request_id", [*VALID_IDS, *INVALID_IDS])
async def test_the_gateway_and_the_services_judge_request_ids_alike(request_id: bytes) -> None:
    """The proxy keeps exactly the request ids a service's middleware keeps."""
    answer = await serve("TRACE", headers=[(b"x-request-id", request_id)])
    gateway_keeps = answer.headers[b"x-request-id"] == request_id
    assert gateway_keeps == await _service_keeps(request_id)
    assert gateway_keeps == (request_id in VALID_IDS)


async def test_a_refusal_is_the_encoded_problem_with_the_request_id() -> None:
    """The proxy's own problem: encode_problem's bytes and headers, then the request id."""
    answer = await serve("TRACE", path=b"/echo/a", headers=[(b"x-request-id", b"rid-7")])
    body, headers = encode_problem(
        405,
        detail="TRACE is not forwarded.",
        instance="/echo/a",
        request_id="rid-7",
        headers=[
            (b"x-request-id", b"rid-7"),
            (b"allow", b", ".join(m.encode() for m in HTTP_METHODS)),
        ],
    )
    assert answer.body == body
    assert list(answer.headers.items()) == headers


SECRET_URL = "http://user:pa55@10.0.0.5:9001/echo/x?token=s3cret&page=2"


class _BrokenBody(httpx.AsyncByteStream):
    """A body that breaks after ``chunks`` chunks, its error naming a URL with credentials."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            yield b"x" * 65_536
        raise httpx.ReadError(f"payload cut short, url=URL('{SECRET_URL}')")


@pytest.mark.parametrize(
    ("length", "chunks", "event"),
    [(10, 0, "upstream_failed"), (10_000_000, 1, "upstream_failed_mid_response")],
)
async def test_upstream_errors_are_logged_without_credentials(
    caplog: pytest.LogCaptureFixture, length: int, chunks: int, event: str
) -> None:
    """A broken upstream body is logged with its error, user:pass@ and token= masked."""
    headers = {"content-length": str(length)}
    upstream = httpx.MockTransport(
        lambda request: httpx.Response(200, headers=headers, stream=_BrokenBody(chunks))
    )
    caplog.set_level(logging.WARNING, logger="backbone.gateway")
    await serve(query=b"token=s3cret&page=2", upstream=upstream)
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith(event)]
    assert "http://***@10.0.0.5:9001/echo/x?token=***&page=2" in line
    assert not any(secret in line for secret in ("user:", "pa55", "s3cret"))


async def test_an_unreachable_upstream_is_logged_without_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """upstream_failed names the request's URL with the client's token masked."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {SECRET_URL}")

    caplog.set_level(logging.WARNING, logger="backbone.gateway")
    answer = await serve(query=b"token=s3cret&page=2", upstream=httpx.MockTransport(refuse))
    assert answer.status == 502
    (line,) = [r.getMessage() for r in caplog.records if r.name == "backbone.gateway.proxy"]
    assert line.startswith("upstream_failed route=echo status=502 error=GET ")
    assert "http://echo/echo/x?token=***&page=2 failed" in line
    assert not any(secret in line for secret in ("user:", "pa55", "s3cret"))
