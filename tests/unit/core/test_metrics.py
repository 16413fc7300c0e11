"""/metrics exposes per-app request counts and latency with bounded labels."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import Gauge

from backbone.core import CoreSettings, create_service_app
from backbone.core.metrics import UNMATCHED_ROUTE, HttpMetrics, add_scrape_hook, run_scrape_hooks


def _count(app: FastAPI, **labels: str) -> float:
    metrics: HttpMetrics = app.state.metrics
    value = metrics.registry.get_sample_value("http_requests_total", labels)
    return value or 0.0


async def test_counter_uses_route_template(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Requests are counted under the route template, not the raw path."""
    await client.get("/items/1")
    await client.get("/items/2")
    assert _count(app, method="GET", route="/items/{item_id}", status="200") == 2
    assert _count(app, method="GET", route="/items/1", status="200") == 0


async def test_unmatched_and_errors_are_counted(app: FastAPI, client: httpx.AsyncClient) -> None:
    """404s share one label; 500s are counted with their status."""
    await client.get("/random/path/1")
    await client.get("/random/path/2")
    await client.get("/boom")
    assert _count(app, method="GET", route=UNMATCHED_ROUTE, status="404") == 2
    assert _count(app, method="GET", route="/boom", status="500") == 1


async def test_unknown_method_label_is_bounded(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Invented HTTP methods are all counted as OTHER."""
    await client.request("BREW", "/healthz")
    assert _count(app, method="OTHER", route="/healthz", status="405") == 1


async def test_metrics_endpoint(client: httpx.AsyncClient) -> None:
    """/metrics serves the text format including the latency histogram."""
    await client.get("/healthz")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in response.text
    assert "http_request_duration_seconds_bucket" in response.text


async def test_two_apps_in_one_process_do_not_collide() -> None:
    """Each app has its own registry: no duplicated timeseries, no shared counts."""
    settings = CoreSettings(_env_file=None)  # type: ignore[call-arg]
    first = create_service_app(title="a", version="0", settings=settings)
    second = create_service_app(title="b", version="0", settings=settings)
    transport = httpx.ASGITransport(app=first)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.get("/healthz")
    assert _count(first, method="GET", route="/healthz", status="200") == 1
    assert _count(second, method="GET", route="/healthz", status="200") == 0


async def test_scrape_hooks_run_before_rendering(app: FastAPI, client: httpx.AsyncClient) -> None:
    """A scrape hook's gauge shows the value the hook read for this very scrape."""
    metrics: HttpMetrics = app.state.metrics
    gauge = Gauge("things", "Things counted when scraped.", registry=metrics.registry)
    reads = iter((3, 5))

    async def read_things() -> None:
        gauge.set(next(reads))

    add_scrape_hook(app, "things", read_things)
    assert "things 3.0" in (await client.get("/metrics")).text
    assert "things 5.0" in (await client.get("/metrics")).text


async def test_failing_hook_never_fails_the_scrape(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A hook that raises is logged; the scrape answers 200 and the other hooks still ran."""
    metrics: HttpMetrics = app.state.metrics
    gauge = Gauge("healthy", "Set by the hook that works.", registry=metrics.registry)

    async def broken() -> None:
        raise ConnectionError("database down")

    async def working() -> None:
        gauge.set(1)

    add_scrape_hook(app, "broken", broken)
    add_scrape_hook(app, "working", working)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "healthy 1.0" in response.text
    assert "metrics_scrape_hook_failed hook=broken" in caplog.text


async def test_hook_that_hangs_is_cut_short() -> None:
    """A hook that never returns is given up after the timeout, and the rest finish."""
    finished: list[str] = []

    async def hangs() -> None:
        await asyncio.Event().wait()

    async def quick() -> None:
        finished.append("quick")

    async with asyncio.timeout(5):
        await run_scrape_hooks({"hangs": hangs, "quick": quick}, seconds=0.01)
    assert finished == ["quick"]
