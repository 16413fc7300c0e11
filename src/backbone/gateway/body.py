"""The client's request body, read within the limits: whole when small, streamed when not.

A small body with a declared length is read whole before anything is sent upstream, so
the request can be retried; a larger or chunked one is streamed to the upstream as it
arrives and is never replayed. Either way the limit holds while the bytes arrive (a
chunked body declares nothing), and a client that pauses longer than the body timeout
is dropped (408).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.types import Receive

__all__ = ["BodyError", "BodyTooLarge", "ClientGone", "ClientTooSlow", "StreamedBody", "read_body"]


class BodyError(Exception):
    """The body could not be read; the subclass says why."""


class BodyTooLarge(BodyError):
    """More bytes than the limit arrived."""


class ClientGone(BodyError):
    """The client disconnected before its body was complete."""


class ClientTooSlow(BodyError):
    """The client paused longer than the body timeout."""


async def _next_chunk(receive: Receive, seconds: float) -> tuple[bytes, bool]:
    try:
        async with asyncio.timeout(seconds):
            message = await receive()
    except TimeoutError:
        raise ClientTooSlow(f"no body bytes for {seconds:g}s") from None
    if message["type"] == "http.disconnect":
        raise ClientGone("the client disconnected while sending its body")
    return message.get("body", b""), bool(message.get("more_body", False))


async def read_body(receive: Receive, *, limit: int, pause: float) -> bytes:
    """The whole body; ``BodyTooLarge`` past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        chunk, more = await _next_chunk(receive, pause)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class StreamedBody:
    """The body as an async iterator for httpx; remembers why it stopped, if it failed."""

    __slots__ = ("_limit", "_pause", "_receive", "done", "error")

    def __init__(self, receive: Receive, *, limit: int, pause: float) -> None:
        self._receive = receive
        self._limit = limit
        self._pause = pause
        self.done = False
        self.error: BodyError | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        more = True
        try:
            while more:
                chunk, more = await _next_chunk(self._receive, self._pause)
                size += len(chunk)
                if size > self._limit:
                    raise BodyTooLarge(f"the body is larger than {self._limit} bytes")
                if chunk:
                    yield chunk
        except BodyError as exc:
            self.error = exc
            raise
        self.done = True
