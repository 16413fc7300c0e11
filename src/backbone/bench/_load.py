"""Load generators for ``backbone bench gateway``: ``wrk`` when installed, else aiohttp.

Both keep ``connections`` connections busy against one URL for ``duration`` seconds
(a closed loop: each connection sends its next request when the previous answer is in)
and give a :class:`LoadResult`. wrk is written in C and leaves the CPU to the servers;
the built-in generator is Python, so on a small machine it can become the bottleneck
itself. Either way every target in a run gets the same generator and the same load.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Generator",
    "LoadResult",
    "aiohttp_generator",
    "parse_wrk",
    "percentile",
    "wrk_generator",
]

# wrk prints durations as a number and one of these units.
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"
_P50 = re.compile(rf"^\s*50(?:\.0+)?%\s+{_DURATION}\s*$", re.MULTILINE)
_P99 = re.compile(rf"^\s*99(?:\.0+)?%\s+{_DURATION}\s*$", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_SOCKET = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """One load run: answers received, throughput, latency percentiles, errors."""

    requests: int
    """Responses received (any status)."""
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    """Responses with status >= 400, plus connections that failed (connect, read, timeout)."""


Generator = Callable[[str, int, int], LoadResult]
"""``generate(url, connections, duration_seconds)``."""


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def _search(pattern: re.Pattern[str], text: str, what: str) -> re.Match[str]:
    match = pattern.search(text)
    if match is None:
        raise ValueError(f"wrk output has no {what} line:\n{text}")
    return match


def parse_wrk(text: str) -> LoadResult:
    """The result of ``wrk --latency``'s report (ValueError when a needed line is missing)."""
    total = _search(_TOTAL, text, "'N requests in T'")
    non_2xx = _NON_2XX.search(text)
    socket_errors = _SOCKET.search(text)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return LoadResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2), total.group(3)) / 1000,
        rps=float(_search(_RPS, text, "Requests/sec").group(1)),
        p50_ms=_ms(*_search(_P50, text, "50% latency").groups()),
        p99_ms=_ms(*_search(_P99, text, "99% latency").groups()),
        errors=errors,
    )


def wrk_generator(wrk: str) -> Generator:
    """A generator that runs ``wrk -t1 -c<connections> -d<duration>s --latency URL``."""

    def generate(url: str, connections: int, duration: int) -> LoadResult:
        argv = [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=duration + 60, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"wrk did not finish in {exc.timeout:.0f} s") from exc
        if done.returncode != 0:
            raise RuntimeError(f"wrk exited with {done.returncode}: {done.stderr or done.stdout}")
        return parse_wrk(done.stdout)

    return generate


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (0.0 for an empty list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


async def _aiohttp_load(url: str, connections: int, duration: int) -> LoadResult:
    import aiohttp

    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        started = time.perf_counter()
        deadline = started + duration

        async def connection() -> None:
            nonlocal failures
            while (sent := time.perf_counter()) < deadline:
                try:
                    async with session.get(url) as response:
                        await response.read()
                except (aiohttp.ClientError, TimeoutError):
                    failures += 1
                    continue
                latencies.append((time.perf_counter() - sent) * 1000)
                failures += response.status >= 400

        await asyncio.gather(*(connection() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        rps=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        errors=failures,
    )


def aiohttp_generator(url: str, connections: int, duration: int) -> LoadResult:
    """The built-in generator: ``connections`` asyncio tasks on one aiohttp pool."""
    return asyncio.run(_aiohttp_load(url, connections, duration))
