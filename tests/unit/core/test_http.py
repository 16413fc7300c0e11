"""The HTTP rules every layer shares: the methods served."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from backbone.core.http import HTTP_METHODS
from backbone.core.metrics import HttpMetrics


def test_the_methods_are_the_seven_served() -> None:
    """Seven methods, in the order an Allow header lists them."""
    assert HTTP_METHODS == ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@pytest.mark.parametrize("method", [*HTTP_METHODS, "TRACE", "BREW"])
def test_metrics_count_the_methods_by_name_and_others_as_other(method: str) -> None:
    """A request is labelled with its method when it is one of HTTP_METHODS, else OTHER."""
    metrics = HttpMetrics()
    metrics.observe(method=method, route="/r", status=200, seconds=0.0)
    label = method if method in HTTP_METHODS else "OTHER"
    labels = {"method": label, "route": "/r", "status": "200"}
    assert metrics.registry.get_sample_value("http_requests_total", labels) == 1


async def test_405_allow_lists_methods_in_their_order(app: FastAPI) -> None:
    """Allow on a 405 lists the path's methods in HTTP_METHODS order, whatever the routes say."""

    @app.api_route("/many", methods=["OPTIONS", "DELETE", "GET"])
    async def many() -> None:
        return None

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/many")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, DELETE, OPTIONS"
