"""``GET /users/{id}/summary``: two upstream calls at once, partial failure made explicit."""

from __future__ import annotations

import httpx

from backbone.gateway.proxy import PROBLEM_TYPES

from ._servers import RawPeer, closed_port_url
from .conftest import Stack, run_stack


async def test_both_calls_succeed(stack: Stack) -> None:
    """The user and their orders, partial false, no errors."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/users/123/summary", params={"orders_limit": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["user_id"] == 123
    assert body["user"]["name"] == "John Doe"
    assert body["orders"]["limit"] == 1
    assert all(order["user_id"] == 123 for order in body["orders"]["items"])
    assert body["partial"] is False
    assert body["errors"] == []


async def test_the_request_id_reaches_both_services(stack: Stack) -> None:
    """The summary's X-Request-ID is the one returned (and sent on to both calls)."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/users/123/summary", headers={"X-Request-ID": "sum-1"})
    assert response.headers["x-request-id"] == "sum-1"


async def test_unknown_user_is_404(stack: Stack) -> None:
    """The User Service's 404 is the summary's 404 (problem+json)."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/users/999999/summary")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_orders_down_gives_a_partial_answer() -> None:
    """Orders unreachable: 200 with orders null, partial true, the error explained."""
    options = {"/orders": {"upstreams": [closed_port_url()]}}
    async with (
        run_stack(route_options=options) as stack,
        httpx.AsyncClient(base_url=stack.gateway) as client,
    ):
        response = await client.get("/users/123/summary")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["user_id"] == 123
    assert body["orders"] is None
    assert body["partial"] is True
    assert body["errors"] == [
        {
            "source": "orders",
            "status": 502,
            "type": PROBLEM_TYPES["upstream-unreachable"],
            "detail": "The orders service is unreachable.",
        }
    ]


async def test_users_hung_is_504_and_names_the_source() -> None:
    """The user call timing out fails the whole summary with 504, listing the error."""
    async with RawPeer() as hung:
        options = {"/users": {"upstreams": [hung.url], "timeout": 0.3, "retries": 0}}
        async with (
            run_stack(route_options=options) as stack,
            httpx.AsyncClient(base_url=stack.gateway) as client,
        ):
            response = await client.get("/users/123/summary")
    assert response.status_code == 504
    body = response.json()
    assert body["type"] == PROBLEM_TYPES["upstream-timeout"]
    assert body["errors"][0]["source"] == "user"
    assert body["errors"][0]["status"] == 504


async def test_users_answering_500_is_502() -> None:
    """The User Service answering something unexpected: 502 bad response, its status listed."""
    async with run_stack() as base:
        options = {"/users": {"upstreams": [base.echo_urls[0]]}}
        async with (
            run_stack(route_options=options) as stack,
            httpx.AsyncClient(base_url=stack.gateway) as client,
        ):
            response = await client.get("/users/123/summary")
    assert response.status_code == 502
    body = response.json()
    assert body["type"] == PROBLEM_TYPES["upstream-bad-response"]
    assert body["errors"][0]["source"] == "user"
    assert body["errors"][0]["status"] == 200  # the echo answers 200 with no user in it


async def test_other_methods_are_405(stack: Stack) -> None:
    """The summary is the gateway's own, for every method: POST is 405, never forwarded."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.post("/users/123/summary", json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


async def test_invalid_id_is_422(stack: Stack) -> None:
    """A user id that is not a positive integer: 422 problem+json."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/users/abc/summary")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
