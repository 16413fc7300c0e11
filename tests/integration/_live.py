"""uvicorn servers on an event loop of their own, in a background thread.

For tests that cannot run a server in their own loop: schemathesis calls a live
service synchronously, so the servers must keep serving while the test thread blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from tests.integration.gateway._servers import serve


class LiveServers:
    """Start apps on loopback in a background loop; stop them all at the end."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stack = contextlib.AsyncExitStack()
        self._thread.start()

    def start(self, app: Any, **options: Any) -> str:
        """Serve ``app`` (options as for ``serve``); its base URL."""

        async def enter() -> str:
            return await self._stack.enter_async_context(serve(app, **options))

        return asyncio.run_coroutine_threadsafe(enter(), self._loop).result(timeout=30)

    def close(self) -> None:
        """Stop every server, then the loop and its thread."""
        asyncio.run_coroutine_threadsafe(self._stack.aclose(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@contextlib.contextmanager
def live_servers() -> Iterator[LiveServers]:
    """A :class:`LiveServers`, closed on exit."""
    servers = LiveServers()
    try:
        yield servers
    finally:
        servers.close()
