"""Locust scenario "backoff under load": ResilientClient against the flaky service.

Locust runs users as greenlets in one OS thread, and asyncio allows one running loop
per thread. So one asyncio event loop runs in a greenlet of its own (its selector is
gevent's, so waiting on it yields to the users); each user owns a ResilientClient and
hands its coroutines to that loop with ``asyncio.run_coroutine_threadsafe``, waiting
cooperatively for the result.

Every task configures a fresh key to fail 0-3 times with 503 (``PUT /patterns/{key}``),
then calls ``GET /flaky/{key}`` through ResilientClient(max_retries=3,
initial_delay=0.05): every request should succeed after ``fail_times`` retries, having
waited 0.05, 0.1 and 0.2 s. Each call is reported to Locust as one "resilient"
request; at test stop the attempts-per-request and wait distributions are logged (per
process: in a distributed run, per worker).

    uvicorn --factory backbone.mocks.flaky:create_app --port 9003
    locust -f tests/load/locustfile_backoff.py --headless -u 5 -r 5 -t 10s \\
        --host http://127.0.0.1:9003
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Coroutine
from typing import Any, TypeVar

import gevent
from locust import User, between, events, task

from backbone.resilience import ResilientClient, RetryEvent, RetryExhaustedError

logger = logging.getLogger(__name__)
# One log line per HTTP request or retry would drown Locust's output: the hook counts them.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("backbone.resilience").setLevel(logging.ERROR)

MAX_RETRIES = 3
INITIAL_DELAY = 0.05

ATTEMPTS: Counter[int] = Counter()
"""How many requests needed 1, 2, 3... attempts."""
WAITS: list[float] = []
"""Every backoff wait, in seconds."""

_T = TypeVar("_T")
_LOOP: list[asyncio.AbstractEventLoop] = []


def run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine on the shared event loop; block this greenlet (only) until done."""
    if not _LOOP:
        loop = asyncio.new_event_loop()
        gevent.spawn(loop.run_forever)
        _LOOP.append(loop)
    return asyncio.run_coroutine_threadsafe(coroutine, _LOOP[0]).result()


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class BackoffUser(User):
    """One user: its own ResilientClient, a fresh flaky key for every call."""

    wait_time = between(0.0, 0.1)

    def on_start(self) -> None:
        self.retries = 0
        self.client = ResilientClient(
            max_retries=MAX_RETRIES,
            initial_delay=INITIAL_DELAY,
            base_url=self.host or "http://127.0.0.1:9003",
            timeout=10.0,
            on_retry=self._on_retry,
        )

    def on_stop(self) -> None:
        run(self.client.aclose())

    def _on_retry(self, event: RetryEvent) -> None:
        self.retries += 1
        WAITS.append(event.wait)

    @task
    def flaky_call(self) -> None:
        """Configure a fresh key to fail 0-3 times, then call it through ResilientClient."""
        run(self._flaky_call())

    async def _flaky_call(self) -> None:
        key = f"load-{uuid.uuid4().hex}"
        fail_times = random.randint(0, MAX_RETRIES)
        setup = await self.client.put(f"/patterns/{key}", json={"fail_times": fail_times})
        setup.raise_for_status()
        self.retries = 0
        exception: Exception | None = None
        length = 0
        started = time.perf_counter()
        try:
            response = await self.client.get(f"/flaky/{key}")
            length = len(response.content)
            if response.json()["attempt"] != fail_times + 1:
                exception = AssertionError(f"expected success on call {fail_times + 1}")
        except RetryExhaustedError as error:
            exception = error
        elapsed_ms = (time.perf_counter() - started) * 1000
        ATTEMPTS[self.retries + 1] += 1
        self.environment.events.request.fire(
            request_type="resilient",
            name="flaky",
            response_time=elapsed_ms,
            response_length=length,
            exception=exception,
            context={"fail_times": fail_times, "attempts": self.retries + 1},
        )


@events.test_stop.add_listener
def _log_distributions(**_kwargs: Any) -> None:
    """Log the attempts-per-request distribution and the wait distribution."""
    total = sum(ATTEMPTS.values())
    logger.info("backoff_summary requests=%d", total)
    for attempts in sorted(ATTEMPTS):
        count = ATTEMPTS[attempts]
        logger.info(
            "attempts_per_request attempts=%d requests=%d share=%.1f%%",
            attempts,
            count,
            100.0 * count / total,
        )
    if WAITS:
        logger.info(
            "waits count=%d p50=%.3fs p90=%.3fs max=%.3fs distinct=%s",
            len(WAITS),
            _percentile(WAITS, 0.5),
            _percentile(WAITS, 0.9),
            max(WAITS),
            sorted(set(WAITS)),
        )
    else:
        logger.info("waits count=0")


@events.quitting.add_listener
def _stop_loop(**_kwargs: Any) -> None:
    """Stop the shared event loop when Locust exits."""
    for loop in _LOOP:
        loop.call_soon_threadsafe(loop.stop)
