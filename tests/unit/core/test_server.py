"""The hardened httptools protocol, driven directly with bytes and a fake transport.

The live gateway tests (tests/integration/gateway/test_framing.py, test_limits.py)
cover what a client sees; these cover the orderings a socket test cannot pin down:
a refusal in the middle of an answer, a refusal behind a pipelined request, TLS.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.server import ServerState

from backbone.core import CoreSettings
from backbone.core.http import encode_problem
from backbone.core.server import LimitedHttpToolsProtocol, limited_protocol, server_config

App = Callable[[Scope, Receive, Send], Awaitable[None]]
STATUS_LINE = re.compile(rb"HTTP/1\.1 \d{3} [A-Za-z ]+(?=\r\n)")


class FakeTransport(asyncio.Transport):
    """Records what the protocol writes, and how it closes."""

    def __init__(self, *, can_write_eof: bool = True) -> None:
        super().__init__()
        self.written = bytearray()
        self.misuse: list[str] = []
        self.closed = False
        self.eof = False
        self._can_write_eof = can_write_eof

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self.eof:
            self.misuse.append("write after write_eof")  # asyncio raises RuntimeError
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def can_write_eof(self) -> bool:
        return self._can_write_eof

    def write_eof(self) -> None:
        self.eof = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        addresses = {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}
        return addresses.get(name, default)

    @property
    def status_lines(self) -> list[bytes]:
        return STATUS_LINE.findall(bytes(self.written))


TRANSPORTS: list[FakeTransport] = []


@pytest.fixture(autouse=True)
def _transports_used_correctly() -> Iterator[None]:
    """Every test: nothing was written after write_eof (asyncio would have raised)."""
    TRANSPORTS.clear()
    yield
    assert [transport.misuse for transport in TRANSPORTS] == [[] for _ in TRANSPORTS]


def connect(app: App, *, transport: FakeTransport | None = None) -> tuple[Any, FakeTransport]:
    """A protocol (header timeout 1 s) serving ``app``, connected to a fake transport."""
    config = uvicorn.Config(app, lifespan="off", log_config=None, ws="none")
    protocol_class = limited_protocol(
        max_header_bytes=4096, max_header_field_bytes=1024, header_timeout=1.0
    )
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = transport or FakeTransport()
    TRANSPORTS.append(transport)
    protocol.connection_made(transport)
    return protocol, transport


async def settle() -> None:
    """Let the app tasks run until they wait on something."""
    for _ in range(20):
        await asyncio.sleep(0)


def answer_ok(body: bytes = b"ok") -> list[dict[str, Any]]:
    start = {"type": "http.response.start", "status": 200, "headers": []}
    return [start, {"type": "http.response.body", "body": body}]


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    for message in answer_ok():
        await send(message)


CHUNKED_POST = b"POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"


async def test_a_refusal_after_the_answer_began_writes_no_second_status_line() -> None:
    """A malformed chunk while the app streams its answer: no 400 inside that answer."""

    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        while (await receive())["type"] != "http.disconnect":
            pass

    protocol, transport = connect(streaming)
    protocol.data_received(CHUNKED_POST + b"3\r\nabc\r\n")
    await settle()
    protocol.data_received(b"zz\r\n")  # not a chunk size
    await settle()
    assert transport.status_lines == [b"HTTP/1.1 200 OK"]
    assert transport.eof  # lingering: shut for writing, draining what the client sends
    assert protocol.lingering


async def test_a_refusal_behind_a_pipelined_request_waits_for_its_answer() -> None:
    """Request 1 still being answered, request 2 invalid: 200 first, then 400, then EOF."""
    release = asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        for message in answer_ok():
            await send(message)

    protocol, transport = connect(slow)
    protocol.data_received(
        b"GET /1 HTTP/1.1\r\nHost: t\r\n\r\nGET /2 HTTP/1.1\r\nBad Header\r\n\r\n"
    )
    await settle()
    assert transport.written == b""
    release.set()
    await settle()
    assert transport.status_lines == [b"HTTP/1.1 200 OK", b"HTTP/1.1 400 Bad Request"]
    assert transport.eof


async def test_a_queued_request_with_a_bad_body_waits_for_the_earlier_answer() -> None:
    """Request 2 queued (headers done) when its chunked body breaks: its 400 follows the 200."""
    release = asyncio.Event()
    started: list[str] = []

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        started.append(scope["path"])
        await release.wait()
        for message in answer_ok():
            await send(message)

    protocol, transport = connect(slow)
    protocol.data_received(b"GET /1 HTTP/1.1\r\nHost: t\r\n\r\n" + CHUNKED_POST + b"zz\r\n")
    await settle()
    release.set()
    await settle()
    assert transport.status_lines == [b"HTTP/1.1 200 OK", b"HTTP/1.1 400 Bad Request"]
    assert started == ["/1"]  # the refused request never reached the app


async def test_an_earlier_answer_with_connection_close_drops_the_pending_refusal() -> None:
    """Request 1 answered with Connection: close: the connection ends; no 400 after it."""
    release = asyncio.Event()

    async def closing(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        headers = [(b"connection", b"close")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"bye"})

    protocol, transport = connect(closing)
    protocol.data_received(
        b"GET /1 HTTP/1.1\r\nHost: t\r\n\r\nGET /2 HTTP/1.1\r\nBad Header\r\n\r\n"
    )
    await settle()
    release.set()
    await settle()
    assert transport.status_lines == [b"HTTP/1.1 200 OK"]
    assert transport.eof


async def test_without_write_eof_a_refusal_closes_at_once() -> None:
    """Over TLS (no half-close), the answer is written and the connection closed."""
    protocol, transport = connect(ok_app, transport=FakeTransport(can_write_eof=False))
    protocol.data_received(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
    assert transport.status_lines == [b"HTTP/1.1 400 Bad Request"]
    assert transport.closed
    assert not protocol.lingering


async def test_a_second_refusal_writes_nothing() -> None:
    """Once refused, the connection answers nothing more (one answer per refusal)."""
    protocol, transport = connect(ok_app)
    protocol.data_received(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
    written = bytes(transport.written)
    protocol.send_400_response("again")
    assert transport.written == written


async def test_lingering_discards_input_then_closes_past_the_budget() -> None:
    """After a refusal, input is counted and thrown away; past linger_bytes, closed."""
    protocol, transport = connect(ok_app)
    protocol.data_received(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
    protocol.data_received(b"x" * LimitedHttpToolsProtocol.linger_bytes)
    assert not transport.closed
    protocol.data_received(b"x")
    assert transport.closed


async def test_the_header_timer_does_nothing_on_a_closing_connection() -> None:
    """A header timeout on a connection already closing writes no 408."""
    protocol, transport = connect(ok_app)
    protocol.data_received(b"GET / HTTP/1.1\r\nHo")
    transport.close()
    protocol._headers_timed_out()
    assert transport.written == b""


async def test_the_cycle_transport_is_silent_while_lingering() -> None:
    """What the app writes after the refusal is dropped; it sees the transport closing."""
    received: list[dict[str, Any]] = []

    async def reader(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(dict(await receive()))

    protocol, transport = connect(reader)
    protocol.data_received(CHUNKED_POST)
    await settle()
    cycle_transport = protocol.cycle.transport
    assert cycle_transport.get_extra_info("peername") == ("127.0.0.1", 50000)
    assert not cycle_transport.is_closing()
    protocol.data_received(b"zz\r\n")
    await settle()
    assert received == [{"type": "http.disconnect"}]
    assert cycle_transport.is_closing()
    cycle_transport.write(b"late")
    assert not transport.written.endswith(b"late")


async def test_a_silent_connection_is_closed_unanswered() -> None:
    """No byte before the header timeout: closed, nothing written."""
    protocol, transport = connect(ok_app)
    protocol._headers_timed_out()
    assert transport.closed
    assert transport.written == b""


async def test_answers_are_problem_json_with_a_request_id() -> None:
    """The server layer's own 400 carries problem+json and the same id in the header."""
    protocol, transport = connect(ok_app)
    protocol.data_received(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
    head, _, body = bytes(transport.written).partition(b"\r\n\r\n")
    problem = json.loads(body)
    assert b"content-type: application/problem+json" in head
    assert f"x-request-id: {problem['request_id']}".encode() in head
    assert (problem["status"], problem["title"]) == (400, "Bad Request")


async def test_a_refusal_is_the_encoded_problem_and_closes() -> None:
    """A 431 is a status line, then encode_problem's headers and bytes, closing."""
    protocol, transport = connect(ok_app)
    protocol.data_received(b"GET / HTTP/1.1\r\nX: " + b"y" * 2000 + b"\r\n\r\n")
    head, _, body = bytes(transport.written).partition(b"\r\n\r\n")
    status_line, *fields = head.split(b"\r\n")
    request_id = json.loads(body)["request_id"]
    expected_body, headers = encode_problem(
        431,
        detail="A request header field is too large.",
        request_id=request_id,
        headers=[(b"x-request-id", request_id.encode()), (b"connection", b"close")],
    )
    assert status_line == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert body == expected_body
    assert fields == [name + b": " + value for name, value in headers]


@pytest.mark.parametrize("timeout", [0.5, 10.0])
def test_server_config_uses_the_core_limits(timeout: float) -> None:
    """server_config: the protocol class carries the settings' limits; logging is untouched."""
    settings = CoreSettings(
        max_header_bytes=2048, max_header_field_bytes=512, header_timeout=timeout
    )
    config = server_config(ok_app, host="127.0.0.1", port=0, settings=settings)
    protocol = config.http
    assert isinstance(protocol, type)
    assert issubclass(protocol, LimitedHttpToolsProtocol)
    assert (protocol.max_header_bytes, protocol.max_header_field_bytes) == (2048, 512)
    assert protocol.header_timeout == timeout
    assert config.log_config is None
