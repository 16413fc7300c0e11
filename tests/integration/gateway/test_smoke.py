"""The live stack answers through the gateway."""

from __future__ import annotations

import httpx

from .conftest import Stack


async def test_users_123_through_the_gateway(stack: Stack) -> None:
    """GET /users/123 on the gateway is the User Service's answer."""
    async with httpx.AsyncClient(base_url=stack.gateway) as client:
        response = await client.get("/users/123")
    assert response.status_code == 200
    assert response.json()["name"] == "John Doe"
