"""Rate limiting per client, its state in the real Redis so replicas share one limit."""

from __future__ import annotations

import re

import httpx

from backbone.gateway import create_app
from backbone.gateway.proxy import PROBLEM_TYPES

from ._servers import closed_port_url, serve
from .conftest import Stack, run_stack


async def test_off_by_default(stack: Stack) -> None:
    """Without configuration nothing is limited."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        statuses = {(await client.get("/echo/x")).status_code for _ in range(30)}
    assert statuses == {200}


async def test_over_the_burst_is_429_with_retry_after(redis_url: str) -> None:
    """burst=3 at 0.5/s: three requests pass, the fourth is 429 problem+json, Retry-After 2."""
    settings = {
        "rate_limit_enabled": True,
        "redis_url": redis_url,
        "rate_limit_rate": 0.5,
        "rate_limit_burst": 3,
    }
    async with run_stack(**settings) as stack, httpx.AsyncClient(base_url=stack.gateway) as client:
        statuses = [(await client.get("/echo/x")).status_code for _ in range(3)]
        refused = await client.get("/echo/x")
        metrics = (await client.get("/metrics")).text
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == PROBLEM_TYPES["rate-limited"]
    assert refused.headers["retry-after"] == "2"
    assert len(stack.echo_requests) == 3
    assert re.search(r'gateway_rate_limited_total\{route="echo"\} 1\.0', metrics)


async def test_two_replicas_share_one_limit(redis_url: str) -> None:
    """Two gateway processes on one Redis: the burst is spent across both, not per replica."""
    settings = {
        "rate_limit_enabled": True,
        "redis_url": redis_url,
        "rate_limit_rate": 0.1,
        "rate_limit_burst": 4,
    }
    async with (
        run_stack(**settings) as stack,
        serve(create_app(stack.settings)) as second,
        httpx.AsyncClient() as client,
    ):
        statuses = []
        for index in range(6):
            base = stack.gateway if index % 2 == 0 else second
            statuses.append((await client.get(f"{base}/echo/x")).status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_redis_down_fails_open() -> None:
    """Redis unreachable: requests pass (counted as limiter errors), nothing is refused."""
    settings = {"rate_limit_enabled": True, "redis_url": closed_port_url().replace("http", "redis")}
    async with run_stack(**settings) as stack, httpx.AsyncClient(base_url=stack.gateway) as client:
        statuses = {(await client.get("/echo/x")).status_code for _ in range(3)}
        metrics = (await client.get("/metrics")).text
        ready = await client.get("/readyz")
    assert statuses == {200}
    assert re.search(r"gateway_rate_limiter_errors_total 3\.0", metrics)
    assert ready.status_code == 503  # the limiter's Redis is a readiness dependency
