"""``backbone bench assistant``'s recommendations, next to the framework's floor.

``GET /v1/recommendations`` answers from a model in Redis with no language model on its
path; what it can cost at best is what the same server costs for a route that does
nothing: ``GET /healthz``, a constant (``{"status": "ok"}``) through the same app, the
same middleware (request id, metrics, logging) and the same uvicorn process. Both are
loaded the same way in the same run, one after the other, while the worker is idle:

- **at ``users`` users**, each sending its next request ``think`` seconds after an
  answer (the load the goal names: p99 at most :data:`MAX_P99_MS` at 50 users);
- **flat out**: the same connections with no pause, for the most requests per second
  the process serves, and the latency that costs.

Every user sends its own account's token (the recommendations need one; ``/healthz``
ignores it) from the run's loopback address, and asks for the recommendations of the
seeded users in turn. Requests sent during the warm-up are not counted; another status
than 200, a refused connection or a 10-second timeout is an error.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass

import aiohttp
from rich.table import Table

from backbone.bench._assistant_load import TIMEOUT_SECONDS, Account
from backbone.bench._output import ratio, results_table, verdict
from backbone.bench._reports import EndpointRow, summarize_endpoint
from backbone.bench._reports_load import Samples

__all__ = [
    "FLOOR",
    "MAX_P99_MS",
    "RECS",
    "RecsLoad",
    "RecsRow",
    "measure_recommendations",
    "recs_goal_lines",
    "render_recs",
]

RECS = "GET /v1/recommendations"
FLOOR = "GET /healthz (constant: the floor)"
MAX_P99_MS = 20.0
AT_USERS = "users"
FLAT_OUT = "flat out"


@dataclass(frozen=True, slots=True)
class RecsLoad:
    """How many users, their pause, the warm-up and the measured seconds of each round."""

    users: int
    think: float
    warmup: float
    seconds: float


@dataclass(frozen=True, slots=True)
class RecsRow:
    """One endpoint under one load (``users`` or ``flat out``)."""

    load: str
    row: EndpointRow

    @property
    def label(self) -> str:
        """The row's name: endpoint, then load."""
        return f"{self.row.endpoint}, {self.load}"


async def _load(
    session: aiohttp.ClientSession, paths: list[str], accounts: list[Account], load: RecsLoad
) -> Samples:
    """``load.users`` users sending ``paths`` in turn, each with an account's token."""
    samples = Samples()
    started = time.perf_counter()
    measure_from, deadline = started + load.warmup, started + load.warmup + load.seconds
    turns = itertools.cycle(paths)

    async def user(number: int, account: Account) -> None:
        await asyncio.sleep(load.think * number / load.users)  # not in lockstep
        while (sent := time.perf_counter()) < deadline:
            ok = False
            try:
                async with session.get(next(turns), headers=account.headers) as response:
                    await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            if sent >= measure_from:
                samples.latencies_ms.append((time.perf_counter() - sent) * 1000)
                samples.errors += not ok
            if load.think:
                await asyncio.sleep(load.think)

    users = itertools.islice(itertools.cycle(accounts), load.users)
    await asyncio.gather(*(user(n, account) for n, account in enumerate(users)))
    return samples


async def _measure(
    api_url: str, address: str, accounts: list[Account], user_ids: list[int], load: RecsLoad
) -> list[RecsRow]:
    recs = [f"{api_url}/v1/recommendations?user_id={user_id}&limit=5" for user_id in user_ids]
    rows = []
    connector = aiohttp.TCPConnector(limit=load.users, local_addr=(address, 0))
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        cookie_jar=aiohttp.DummyCookieJar(),
    ) as session:
        for name, think in ((f"{load.users} {AT_USERS}", load.think), (FLAT_OUT, 0.0)):
            this = RecsLoad(load.users, think, load.warmup, load.seconds)
            for endpoint, paths in ((RECS, recs), (FLOOR, [f"{api_url}/healthz"])):
                samples = await _load(session, paths, accounts, this)
                rows.append(RecsRow(name, summarize_endpoint(endpoint, samples, load.seconds)))
    return rows


def measure_recommendations(
    api_url: str, address: str, accounts: list[Account], user_ids: list[int], load: RecsLoad
) -> list[RecsRow]:
    """Recommendations, then the floor, at ``load.users`` users, then both flat out."""
    return asyncio.run(_measure(api_url, address, accounts, user_ids, load))


def _floor_of(rows: list[RecsRow], row: RecsRow) -> EndpointRow | None:
    return next((r.row for r in rows if r.load == row.load and r.row.endpoint == FLOOR), None)


def render_recs(rows: list[RecsRow], *, title: str) -> Table:
    """The table: each endpoint under each load, and the recommendations against the floor."""
    table = results_table(
        title=title,
        caption="floor: GET /healthz, a constant through the same app and middleware; "
        "ratios: recommendations / floor; errors: any other status than 200, or no answer",
        label="endpoint, load",
        columns=("requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "p99 vs floor"),
    )
    for item in rows:
        row, floor = item.row, _floor_of(rows, item)
        table.add_row(
            item.label,
            f"{row.requests:,}",
            f"{row.rps:,.0f}",
            f"{row.p50_ms:.2f}",
            f"{row.p99_ms:.2f}",
            f"{row.max_ms:.2f}",
            str(row.errors),
            ratio(row.p99_ms, floor.p99_ms if floor else None),
        )
    return table


def recs_goal_lines(rows: list[RecsRow], *, users: int) -> list[str]:
    """The goal (p99 at ``users`` users), and the flat-out throughput against the floor."""
    by_label = {item.label: item.row for item in rows}
    at_users = f"{users} {AT_USERS}"
    recs, floor = by_label.get(f"{RECS}, {at_users}"), by_label.get(f"{FLOOR}, {at_users}")
    if recs is None or floor is None:
        return ["  recommendations: not checked (a row is missing)"]
    lines = [
        f"  {verdict(recs.requests > 0 and recs.p99_ms <= MAX_P99_MS)}  {RECS} p99 <= "
        f"{MAX_P99_MS:g} ms at {users} users: {recs.p99_ms:.2f} ms (the floor: "
        f"{floor.p99_ms:.2f} ms, {ratio(recs.p99_ms, floor.p99_ms)})",
    ]
    fast, fast_floor = by_label.get(f"{RECS}, {FLAT_OUT}"), by_label.get(f"{FLOOR}, {FLAT_OUT}")
    if fast is not None and fast_floor is not None:
        lines.append(
            f"  flat out: {fast.rps:,.0f} recommendations/s, {ratio(fast.rps, fast_floor.rps)} "
            f"the floor's {fast_floor.rps:,.0f}/s"
        )
    errors = sum(item.row.errors for item in rows)
    lines.append(f"  {verdict(errors == 0)}  no errors in the recommendations' rounds: {errors}")
    return lines
