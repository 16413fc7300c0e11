"""Reading the client's body within the limits: size, pauses, disconnects."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import pytest

from backbone.gateway.body import (
    BodyTooLarge,
    ClientGone,
    ClientTooSlow,
    StreamedBody,
    read_body,
)


def _channel(*messages: dict[str, Any], hang: bool = False) -> Any:
    """An ASGI receive() replaying ``messages``, then hanging (or disconnecting)."""
    queue: Iterable[dict[str, Any]] = iter(messages)

    async def receive() -> dict[str, Any]:
        for message in queue:
            return message
        if hang:
            await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    return receive


def _part(body: bytes, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


async def test_read_body_joins_the_parts() -> None:
    """Parts are joined in order until more_body is false."""
    receive = _channel(_part(b"ab", True), _part(b"", True), _part(b"cd", False))
    assert await read_body(receive, limit=4, pause=1) == b"abcd"


async def test_read_body_refuses_more_than_the_limit() -> None:
    """One byte over the limit is BodyTooLarge, whatever was declared."""
    receive = _channel(_part(b"abc", True), _part(b"de", False))
    with pytest.raises(BodyTooLarge, match="larger than 4 bytes"):
        await read_body(receive, limit=4, pause=1)


async def test_read_body_notices_a_disconnect() -> None:
    """A client gone mid-body is ClientGone."""
    with pytest.raises(ClientGone):
        await read_body(_channel(_part(b"ab", True)), limit=10, pause=1)


async def test_read_body_gives_up_on_a_paused_client() -> None:
    """No bytes within the pause limit: ClientTooSlow."""
    with pytest.raises(ClientTooSlow, match=r"no body bytes for 0\.01s"):
        await read_body(_channel(_part(b"ab", True), hang=True), limit=10, pause=0.01)


async def test_streamed_body_yields_non_empty_chunks_and_finishes() -> None:
    """The stream yields each non-empty part and then says it is done."""
    body = StreamedBody(
        _channel(_part(b"ab", True), _part(b"", True), _part(b"c", False)), limit=3, pause=1
    )
    assert [chunk async for chunk in body] == [b"ab", b"c"]
    assert body.done
    assert body.error is None


@pytest.mark.parametrize(
    ("receive", "error"),
    [
        (_channel(_part(b"abcd", True)), BodyTooLarge),
        (_channel(_part(b"ab", True)), ClientGone),
        (_channel(_part(b"ab", True), hang=True), ClientTooSlow),
    ],
)
async def test_streamed_body_remembers_why_it_failed(receive: Any, error: type[Exception]) -> None:
    """A failing stream raises and keeps the error for the proxy to answer with."""
    body = StreamedBody(receive, limit=3, pause=0.01)
    with pytest.raises(error):
        async for _ in body:
            pass
    assert isinstance(body.error, error)
    assert not body.done
