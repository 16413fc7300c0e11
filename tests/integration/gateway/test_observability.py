"""``/metrics``, ``/healthz`` and ``/readyz`` of the gateway."""

from __future__ import annotations

import logging

import httpx
import pytest

from .conftest import Stack


async def test_metrics_count_routes_statuses_latency_and_circuits(stack: Stack) -> None:
    """Proxied requests are counted by route, method and status, timed, circuits shown."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        await client.get("/echo/a")
        await client.post("/echo/b", json={})
        await client.get("/dead/x")
        text = (await client.get("/metrics")).text
    assert 'gateway_requests_total{method="GET",route="echo",status="200"} 1.0' in text
    assert 'gateway_requests_total{method="POST",route="echo",status="200"} 1.0' in text
    assert 'gateway_requests_total{method="GET",route="dead",status="502"} 1.0' in text
    assert 'gateway_upstream_duration_seconds_count{route="echo"} 2.0' in text
    assert 'gateway_circuit_state{route="echo",state="closed"} 1.0' in text
    assert 'gateway_circuit_state{route="echo",state="open"} 0.0' in text
    assert 'gateway_upstream_retries_total{route="dead"} 1.0' in text


async def test_health_and_readiness(stack: Stack) -> None:
    """/healthz is alive; /readyz reports each route's circuit without calling upstreams."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["upstream:users"] == "closed"
    assert checks["upstream:dead"] == "closed"
    assert stack.echo_requests == []


async def test_failures_are_logged_with_the_request_id(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """An upstream failure is logged once, with the request id, without a traceback."""
    caplog.set_level(logging.WARNING, logger="backbone.gateway")
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        await client.get("/dead/x", headers={"X-Request-ID": "trace-me"})
    records = [r for r in caplog.records if r.name.startswith("backbone.gateway.proxy")]
    assert [r.getMessage().split()[0] for r in records] == ["upstream_failed"]
    assert records[0].request_id == "trace-me"
    assert records[0].exc_info is None


async def test_upstream_failures_are_logged_without_the_clients_secrets(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """The upstream_failed line names the URL with token masked and page=2 visible."""
    caplog.set_level(logging.WARNING, logger="backbone.gateway")
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        await client.get("/dead/x", params={"token": "s3cret", "page": "2"})
    (line,) = [r.getMessage() for r in caplog.records if r.name == "backbone.gateway.proxy"]
    assert "GET http://dead/dead/x?token=***&page=2 failed" in line
    assert "s3cret" not in line
