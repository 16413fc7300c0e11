"""ResilientClient against the flaky service: two failures, waits of 1 s and 2 s, success.

Starts the flaky mock service (``backbone.mocks.flaky``) in-process on a free port, or
uses one already running (``--url http://127.0.0.1:9003``), then calls
``GET /flaky/{key}`` on a fresh key: the service fails the first two calls with 503
and answers the third. ``ResilientClient(max_retries=3, initial_delay=1.0)`` retries
after 1 s and then 2 s (``initial_delay * 2 ** (n - 1)``); an ``on_retry`` hook
prints each failure and each wait.

    python examples/resilient_client_demo.py [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from backbone.resilience import ResilientClient, RetryEvent


def print_retry(event: RetryEvent) -> None:
    """The on_retry hook: one line per failed attempt, with the wait that follows."""
    print(f"attempt {event.attempt} failed: {event.reason} — waiting {event.wait:.1f} s")


@asynccontextmanager
async def local_flaky_service() -> AsyncIterator[str]:
    """Run the flaky service with uvicorn in this event loop; yield its base URL."""
    from backbone.mocks.flaky import create_app
    from backbone.mocks.flaky.config import FlakySettings

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(FlakySettings(log_level="WARNING"))
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # the server failed to start: raise its error
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def call_flaky(base_url: str) -> None:
    """One GET through ResilientClient, printing what happens."""
    key = f"demo-{uuid.uuid4().hex[:12]}"
    print(f"GET {base_url}/flaky/{key}  (fails twice with 503, then succeeds)")
    async with ResilientClient(
        max_retries=3, initial_delay=1.0, on_retry=print_retry, base_url=base_url
    ) as client:
        response = await client.get(f"/flaky/{key}")
    body = response.json()
    print(f"attempt {body['attempt']} succeeded: {response.status_code} {response.reason_phrase}")
    print(json.dumps(body, sort_keys=True))


async def main(url: str | None) -> None:
    """Call the given service, or start one of our own first."""
    if url is not None:
        await call_flaky(url.rstrip("/"))
        return
    async with local_flaky_service() as base_url:
        await call_flaky(base_url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="base URL of a running flaky service (default: start one)")
    args = parser.parse_args()
    # The retry hook prints the story; the library's own log lines would repeat it.
    logging.getLogger("backbone.resilience").setLevel(logging.ERROR)
    asyncio.run(main(args.url))
