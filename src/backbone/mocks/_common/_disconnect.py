"""Waiting that ends early when the client goes away, so an abandoned call holds nothing.

An ASGI server does not cancel a handler whose client disconnected; the handler learns
it from ``receive()`` returning ``http.disconnect``. :func:`sleep_unless_disconnected`
watches for that while it waits.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import Request

logger = logging.getLogger(__name__)


async def disconnected(request: Request) -> None:
    """Return once the client has gone away (or its request stream broke)."""
    try:
        while (await request.receive())["type"] != "http.disconnect":
            pass
    except Exception as exc:  # the body limit, or a broken stream: the client is gone
        logger.debug("receive_failed error=%r", exc)


async def sleep_unless_disconnected(request: Request, seconds: float) -> bool:
    """Sleep ``seconds``; stop early and return True if the client disconnects."""
    watcher = asyncio.create_task(disconnected(request))
    try:
        done, _ = await asyncio.wait({watcher}, timeout=seconds)
    finally:
        watcher.cancel()
    return bool(done)
