"""HTTP/1.1 over raw sockets, for the framing and limits tests.

httpx cleans what these tests must send (two ``Content-Length`` fields, a disguised
``Transfer-Encoding``, a 100 KB header, a request a byte at a time), so they write
bytes to a socket and parse what comes back themselves. :class:`RecordingApp` is an
upstream that also says whether each request *arrived whole* — the echo upstream
cannot tell a complete body from one cut short by a disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Receive, Scope, Send

from backbone.gateway import create_app
from backbone.gateway.config import GatewaySettings, RouteConfig

from ._servers import serve
from .conftest import FAST, GATEWAY_OPTIONS, gateway_settings

CRLF = b"\r\n"


@dataclass(frozen=True)
class Answer:
    """One response as it came off the socket."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name]
        assert len(values) <= 1, f"{name} repeated: {values}"
        return values[0] if values else None

    def json(self) -> Any:
        return json.loads(self.body)


def _chunked(data: bytes) -> tuple[bytes, bytes]:
    """The de-chunked body at the start of ``data``, and what follows it."""
    body = bytearray()
    while True:
        size_line, _, data = data.partition(CRLF)
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            _, _, rest = data.partition(CRLF)  # no trailers in the gateway's answers
            return bytes(body), rest
        body += data[:size]
        data = data[size + 2 :]


def parse_answers(data: bytes) -> list[Answer]:
    """Every complete response in ``data``, in order; an incomplete last one is dropped."""
    answers = []
    while CRLF + CRLF in data:
        head, _, data = data.partition(CRLF + CRLF)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = [
            (name.strip().lower(), value.strip())
            for name, value in (line.split(":", 1) for line in lines)
        ]
        fields = dict(headers)
        if fields.get("transfer-encoding") == "chunked":
            if b"0\r\n\r\n" not in data:
                break
            body, data = _chunked(data)
        else:
            length = int(fields.get("content-length", "0"))
            if len(data) < length:
                break
            body, data = data[:length], data[length:]
        answers.append(Answer(int(status_line.split(" ")[1]), headers, body))
    return answers


class Conn:
    """One raw connection: write bytes, read what comes back and whether it closed."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.received = bytearray()

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, url: str) -> AsyncIterator[Conn]:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            yield cls(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_until_closed(self, seconds: float = 3.0) -> bool:
        """Read into ``received`` until the server closes (True) or ``seconds`` pass (False)."""
        try:
            async with asyncio.timeout(seconds):
                while chunk := await self.reader.read(65536):
                    self.received += chunk
        except TimeoutError:
            return False
        return True

    async def read_answers(self, count: int, seconds: float = 3.0) -> list[Answer]:
        """Read until ``count`` complete responses have arrived (or the server closes)."""
        async with asyncio.timeout(seconds):
            while len(answers := parse_answers(bytes(self.received))) < count:
                chunk = await self.reader.read(65536)
                if not chunk:
                    break
                self.received += chunk
        return answers

    @property
    def answers(self) -> list[Answer]:
        return parse_answers(bytes(self.received))


async def exchange(url: str, data: bytes, *, seconds: float = 3.0) -> tuple[list[Answer], bool]:
    """Send ``data`` on a new connection; every answer, and whether the server closed."""
    async with Conn.open(url) as conn:
        await conn.send(data)
        closed = await conn.read_until_closed(seconds)
        return conn.answers, closed


def request(
    method: bytes, target: bytes, fields: list[bytes], body: bytes = b"", *, version: bytes = b"1.1"
) -> bytes:
    """A request written exactly as given: ``fields`` are whole lines, without CRLF."""
    head = [method + b" " + target + b" HTTP/" + version, b"Host: gateway.test", *fields]
    return CRLF.join(head) + CRLF + CRLF + body


def chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + CRLF


LAST_CHUNK = b"0\r\n\r\n"


# --------------------------------------------------------------------------- upstream


@dataclass
class Received:
    """What :class:`RecordingApp` received: ``complete`` is False when the body was cut."""

    method: str
    path: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    complete: bool


@dataclass
class RecordingApp:
    """An upstream that records each request, and whether its body arrived whole.

    On ``/rec/early/...`` it answers (200, a streamed body) *before* reading the
    request's body, as some upstreams do; elsewhere it reads the body, then answers.
    """

    received: list[Received] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.started.set()
        early = scope["path"].startswith("/rec/early")
        if early:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"early ", "more_body": True})
        body, complete = bytearray(), False
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                complete = True
                break
        self.received.append(
            Received(scope["method"], scope["path"], list(scope["headers"]), bytes(body), complete)
        )
        self.arrived.set()
        if early:
            await send({"type": "http.response.body", "body": b"done"})
            return
        answer = json.dumps({"length": len(body)}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    async def wait_started(self, seconds: float = 2.0) -> None:
        """Return once a request has begun to arrive (its body may still be coming)."""
        async with asyncio.timeout(seconds):
            await self.started.wait()

    async def wait(self, seconds: float = 2.0) -> list[Received]:
        """What was received, once at least one request was recorded."""
        async with asyncio.timeout(seconds):
            await self.arrived.wait()
        return self.received

    def clear(self) -> None:
        self.received.clear()
        self.started.clear()
        self.arrived.clear()


@dataclass
class Recording:
    """A gateway whose only route, ``/rec``, goes to a :class:`RecordingApp`."""

    gateway: str
    upstream: RecordingApp
    settings: GatewaySettings


@contextlib.asynccontextmanager
async def recording_gateway(**overrides: Any) -> AsyncIterator[Recording]:
    """Run a :class:`RecordingApp` and a gateway in front of it; ``overrides`` as in run_stack."""
    upstream = RecordingApp()
    # A request stuck at shutdown (the sign of a bug a test is there to show) is
    # cancelled after a second rather than holding the suite.
    async with serve(upstream, timeout_graceful_shutdown=1.0) as url:
        route = RouteConfig(prefix="/rec", upstreams=[url], **FAST)
        settings = GatewaySettings(routes=[route], **gateway_settings(**overrides))
        app = create_app(settings)
        options = {**GATEWAY_OPTIONS, "timeout_graceful_shutdown": 1.0}
        async with serve(app, settings=settings, **options) as gateway:
            yield Recording(gateway, upstream, settings)


def elapsed_since(start: float) -> float:
    return time.monotonic() - start
