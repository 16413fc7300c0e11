"""``backbone bench client``: what ResilientClient costs on a successful request.

Bare ``httpx.AsyncClient.get``, ``ResilientClient.get`` and tenacity's
``AsyncRetrying`` wrapping the bare call all run, in one process, against the same
in-memory transport that answers 200 at once, so only the client-side overhead is
measured. Each round times ``requests`` calls of each contender (``perf_counter``);
the table shows the median round.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from rich.console import Console
from rich.table import Table
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from backbone.bench._output import results_table, times
from backbone.resilience import ResilientClient

__all__ = ["BenchRow", "bench_client", "measure", "render"]

URL = "http://bench.local/ok"
BARE = "bare httpx.AsyncClient"
RESILIENT = "ResilientClient"
TENACITY = "tenacity AsyncRetrying"


@dataclass(frozen=True, slots=True)
class BenchRow:
    """The median round of one contender."""

    name: str
    us_per_request: float
    overhead_us: float
    ratio: float


class _OkTransport(httpx.AsyncBaseTransport):
    """Answers every request with a tiny 200, without any I/O."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"ok")


async def _time_per_request(call: Callable[[], Awaitable[object]], requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        await call()
    return (time.perf_counter() - start) / requests * 1e6


async def _measure(requests: int, rounds: int) -> dict[str, float]:
    transport = _OkTransport()
    async with (
        httpx.AsyncClient(transport=transport) as bare,
        ResilientClient(transport=transport, max_retries=3, initial_delay=1.0) as resilient,
    ):
        retrying = AsyncRetrying(
            stop=stop_after_attempt(4),
            wait=wait_exponential(multiplier=1.0),
            retry=retry_if_exception_type(httpx.TransportError),
            reraise=True,
        )
        tenacity_get = retrying.wraps(bare.get)
        contenders: dict[str, Callable[[], Awaitable[object]]] = {
            BARE: lambda: bare.get(URL),
            RESILIENT: lambda: resilient.get(URL),
            TENACITY: lambda: tenacity_get(URL),
        }
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for call in contenders.values():  # warm-up
            await _time_per_request(call, min(requests, 200))
        for _ in range(rounds):
            for name, call in contenders.items():
                samples[name].append(await _time_per_request(call, requests))
    return {name: statistics.median(values) for name, values in samples.items()}


def measure(*, requests: int = 5000, rounds: int = 5) -> list[BenchRow]:
    """Run the benchmark; one row per contender, bare httpx first."""
    if requests < 1 or rounds < 1:
        raise ValueError("requests and rounds must be >= 1")
    medians = asyncio.run(_measure(requests, rounds))
    bare = medians[BARE]
    return [
        BenchRow(name=name, us_per_request=us, overhead_us=us - bare, ratio=us / bare)
        for name, us in medians.items()
    ]


def render(rows: list[BenchRow], *, requests: int, rounds: int) -> Table:
    """The rich table of the results."""
    table = results_table(
        title=f"Client overhead per successful request (median of {rounds} rounds "
        f"x {requests} requests, in-memory transport)",
        label="client",
        label_style="",
        columns=("µs/request", "overhead µs", "ratio vs bare"),
    )
    for row in rows:
        table.add_row(
            row.name, f"{row.us_per_request:.1f}", f"{row.overhead_us:+.1f}", times(row.ratio)
        )
    return table


def bench_client(*, requests: int = 5000, rounds: int = 5) -> None:
    """Measure and print the table (the body of ``backbone bench client``)."""
    rows = measure(requests=requests, rounds=rounds)
    Console().print(render(rows, requests=requests, rounds=rounds))
