"""Upstream failures: 502 / 504 / 503 answers, retries, circuit breaking, passive health."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from backbone.gateway.proxy import PROBLEM_TYPES

from ._servers import serve
from .conftest import Stack, run_stack

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _assert_problem(response: httpx.Response, status: int, kind: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"] == PROBLEM_TYPES[kind]
    assert body["request_id"] == response.headers["x-request-id"]
    assert REQUEST_ID.match(body["request_id"])
    assert "Traceback" not in response.text


async def test_refused_upstream_is_502(stack: Stack) -> None:
    """An upstream that refuses the connection: 502 upstream-unreachable, not 504."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/dead/x")
    _assert_problem(response, 502, "upstream-unreachable")


async def test_hung_upstream_is_504_within_the_route_timeout(stack: Stack) -> None:
    """An upstream that accepts and never answers: 504 once the route's 0.5 s are up."""
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as client:
        response = await client.get("/hung/x")
    _assert_problem(response, 504, "upstream-timeout")
    assert stack.hung.connections == 1  # retries=0 on that route


async def test_garbage_answer_is_502_bad_response(stack: Stack) -> None:
    """An upstream whose answer is not HTTP: 502 upstream-bad-response."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/garbage/x")
    _assert_problem(response, 502, "upstream-bad-response")


async def test_the_gateway_keeps_serving_after_failures(stack: Stack) -> None:
    """Failed upstreams leave the process serving the next request normally."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        for path in ("/dead/x", "/garbage/x", "/hung/x"):
            assert (await client.get(path)).status_code in (502, 504)
        assert (await client.get("/echo/ok")).status_code == 200


async def test_circuit_opens_after_the_threshold_and_fails_fast() -> None:
    """After breaker_threshold failed requests: 503 circuit-open with Retry-After."""
    options = {"/dead": {"breaker_threshold": 3, "breaker_reset": 30.0}}
    async with (
        run_stack(route_options=options) as stack,
        httpx.AsyncClient(base_url=stack.gateway) as client,
    ):
        statuses = [(await client.get("/dead/x")).status_code for _ in range(3)]
        response = await client.get("/dead/x")
        readyz = (await client.get("/readyz")).json()
    assert statuses == [502, 502, 502]
    _assert_problem(response, 503, "circuit-open")
    assert 1 <= int(response.headers["retry-after"]) <= 30
    assert readyz["checks"]["upstream:dead"] == "open"
    assert readyz["checks"]["upstream:echo"] == "closed"


async def test_idempotent_requests_retry_on_the_next_instance(stack: Stack) -> None:
    """GET fails on the dead instance of /mixed and is retried on the live one: 200."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/mixed/x")
    assert response.status_code == 200
    assert len(stack.echo[0].requests) == 1


async def test_post_is_not_retried_without_an_idempotency_key(stack: Stack) -> None:
    """POST on the dead instance: 502, never replayed to the live one."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.post("/mixed/x", json={"a": 1})
    assert response.status_code == 502
    assert stack.echo[0].requests == []


async def test_post_with_an_idempotency_key_is_retried(stack: Stack) -> None:
    """POST with Idempotency-Key may be replayed: the live instance answers, body intact."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.post(
            "/mixed/x", content=b"payload", headers={"Idempotency-Key": "k-1"}
        )
    assert response.status_code == 200
    assert response.json()["body_length"] == len(b"payload")


async def test_a_failing_instance_is_ejected() -> None:
    """After max_fails failures the dead instance is skipped: no more retries needed."""
    options = {"/mixed": {"max_fails": 2, "fail_timeout": 60.0, "breaker_threshold": 100}}
    async with (
        run_stack(route_options=options) as stack,
        httpx.AsyncClient(base_url=stack.gateway) as client,
    ):
        for _ in range(6):
            assert (await client.get("/mixed/x")).status_code == 200
        metrics = (await client.get("/metrics")).text
    retries = re.search(r'gateway_upstream_retries_total\{route="mixed"\} (\d+)', metrics)
    assert retries is not None
    assert int(float(retries.group(1))) == 2  # the two failures that ejected it


async def test_client_disconnect_mid_stream_releases_the_upstream(stack: Stack) -> None:
    """A client leaving a streamed response makes the gateway drop the upstream stream."""
    headers = {"x-echo-chunks": "2000", "x-echo-pause": "0.01"}
    async with (
        httpx.AsyncClient(base_url=stack.gateway) as client,
        client.stream("GET", "/echo/stream", headers=headers) as response,
    ):
        assert response.status_code == 200
        async for _chunk in response.aiter_raw():
            break
    echo = stack.echo[0] if stack.echo[0].requests else stack.echo[1]
    await asyncio.wait_for(echo.disconnected.wait(), timeout=5)


async def test_streamed_response_arrives_whole(stack: Stack) -> None:
    """A long streamed upstream answer reaches the client complete."""
    headers = {"x-echo-chunks": "300"}
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/echo/stream", headers=headers)
    assert response.status_code == 200
    assert len(response.content) == 300 * 1024
    assert "content-length" not in response.headers


@pytest.mark.parametrize("path", ["/users/123/summary", "/healthz", "/metrics"])
async def test_own_paths_are_never_forwarded(stack: Stack, path: str) -> None:
    """The gateway's own paths are served by it, even under a routed prefix."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert stack.echo_requests == []


async def test_unknown_path_is_404_problem(stack: Stack) -> None:
    """A path no route matches: 404 problem+json."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/nothing/here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_unforwarded_method_is_405_with_allow(stack: Stack) -> None:
    """TRACE is never forwarded: 405 with Allow."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.request("TRACE", "/echo/x")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert stack.echo_requests == []


async def test_a_second_gateway_replica_on_the_same_upstreams(stack: Stack) -> None:
    """Two gateway apps from one configuration serve side by side (stateless replicas)."""
    from backbone.gateway import create_app

    async with serve(create_app(stack.settings)) as second, httpx.AsyncClient() as client:
        first = await client.get(f"{stack.gateway}/users/123")
        other = await client.get(f"{second}/users/123")
    assert first.json() == other.json()
