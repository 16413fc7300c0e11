"""Servers the gateway tests run on loopback: uvicorn apps and misbehaving TCP peers."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.types import Receive, Scope, Send

from backbone.core.config import CoreSettings
from backbone.core.server import server_config

LOCALHOST = "127.0.0.1"


@contextlib.asynccontextmanager
async def serve(
    app: Any, *, settings: CoreSettings | None = None, **options: Any
) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn (as ``backbone serve`` does) on a free port; yield its URL."""
    config = server_config(
        app, host=LOCALHOST, port=0, settings=settings or CoreSettings(), **options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{LOCALHOST}:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class EchoApp:
    """An upstream that answers with what it received, and behaves as the request asks.

    ``x-echo-status: N`` sets the status; each ``x-echo-header: name: value`` adds a
    response header; ``x-echo-chunks: N`` streams N chunks of 1 KiB, ``x-echo-pause``
    seconds apart, recording in ``disconnected`` when the client went away.
    """

    requests: list[dict[str, Any]] = field(default_factory=list)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        seen = {
            "method": scope["method"],
            "raw_path": scope["raw_path"].decode("latin-1"),
            "query_string": scope["query_string"].decode("latin-1"),
            "headers": headers,
            "body_length": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
        }
        self.requests.append(seen)
        control = {k.lower(): v for k, v in headers if k.startswith("x-echo-")}
        extra = [
            tuple(part.strip().encode("latin-1") for part in v.split(":", 1))
            for k, v in headers
            if k == "x-echo-header"
        ]
        status = int(control.get("x-echo-status", "200"))
        if "x-echo-chunks" in control:
            await self._stream(receive, send, int(control["x-echo-chunks"]), control, extra)
            return
        payload = json.dumps(seen).encode()
        out = [(b"content-type", b"application/json"), *extra]
        if not any(name.lower() == b"content-length" for name, _ in extra):
            out.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": payload})

    async def _stream(
        self, receive: Receive, send: Send, chunks: int, control: dict[str, str], extra: list[Any]
    ) -> None:
        pause = float(control.get("x-echo-pause", "0"))
        headers = [(b"content-type", b"application/octet-stream"), *extra]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        watcher = asyncio.ensure_future(receive())  # uvicorn: "http.disconnect" when gone
        try:
            for index in range(chunks):
                if watcher.done():
                    self.disconnected.set()
                    return
                chunk = bytes([65 + index % 26]) * 1024
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await asyncio.sleep(pause)
            await send({"type": "http.response.body", "body": b""})
        finally:
            watcher.cancel()


@dataclass
class RawPeer:
    """A TCP server that accepts and then hangs, or answers with fixed bytes."""

    reply: bytes | None = None
    connections: int = 0
    server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            if self.reply is None:
                await reader.read()  # hang until the peer closes
            else:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(self.reply)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://{LOCALHOST}:{self.server.sockets[0].getsockname()[1]}"

    async def __aenter__(self) -> RawPeer:
        self.server = await asyncio.start_server(self._handle, LOCALHOST, 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 1)


def closed_port_url() -> str:
    """A loopback URL nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        port = sock.getsockname()[1]
    return f"http://{LOCALHOST}:{port}"


async def raw_exchange(url: str, request: bytes, *, seconds: float = 5.0) -> bytes:
    """Send ``request`` bytes as they are (no client cleans them) and read until closed."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        chunks = []
        async with asyncio.timeout(seconds):
            while chunk := await reader.read(65536):
                chunks.append(chunk)
        return b"".join(chunks)
    finally:
        writer.close()
