"""The Order Service's orders as a table, read through the gateway with ``ResilientClient``.

An analysis of ``{"source": "orders"}`` reads every order (page by page, 100 at a time,
up to the dataset row cap) from ``{gateway_url}/orders`` and flattens each into one row:
id, user, status, total, currency, item and unit counts, timestamps. The gateway's URL
comes from configuration only: nothing in a task's input can point this at another host.
The request id of the task travels as ``X-Request-ID`` on every call, so the gateway and
the Order Service log the same id as the API and the worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from backbone.resilience import ResilienceError, ResilientClient

__all__ = [
    "ORDERS_PAGE",
    "OrdersUnavailable",
    "fetch_orders",
    "gateway_client",
    "order_row",
    "read_list",
]

ORDERS_PAGE = 100
"""Items asked for per request (the largest page of the Order and User services)."""


class OrdersUnavailable(Exception):
    """The orders could not be read (the gateway or the Order Service did not answer well)."""


def order_row(order: Mapping[str, Any]) -> dict[str, Any]:
    """One order flattened into a row of scalars."""
    items = order.get("items") or []
    return {
        "order_id": order["order_id"],
        "user_id": order["user_id"],
        "status": order["status"],
        "total_cents": order["total_cents"],
        "currency": order.get("currency"),
        "items": len(items),
        "units": sum(int(item.get("quantity", 0)) for item in items),
        "created_at": order["created_at"],
        "updated_at": order.get("updated_at"),
    }


async def fetch_orders(
    gateway_url: str,
    *,
    max_rows: int,
    request_id: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    request_timeout: float = 10.0,
) -> list[dict[str, Any]]:
    """Every order (at most ``max_rows``), as rows; :class:`OrdersUnavailable` on failure."""
    async with gateway_client(
        gateway_url, request_id=request_id, transport=transport, request_timeout=request_timeout
    ) as client:
        orders = await read_list(client, "/orders", max_items=max_rows)
    try:
        return [order_row(order) for order in orders]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise OrdersUnavailable(f"the orders did not have the expected shape: {exc!r}") from exc


def gateway_client(
    gateway_url: str,
    *,
    request_id: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    request_timeout: float = 10.0,
) -> ResilientClient:
    """A client of the gateway (a few retries), the request id on every call."""
    headers = {"X-Request-ID": request_id} if request_id else {}
    return ResilientClient(
        base_url=gateway_url,
        headers=headers,
        timeout=request_timeout,
        transport=transport,
        max_retries=3,
    )


async def read_list(
    client: ResilientClient,
    path: str,
    *,
    max_items: int,
    params: Mapping[str, str] | None = None,
    error: type[Exception] = OrdersUnavailable,
) -> list[dict[str, Any]]:
    """The items of a paginated list (``{"items": [...], "next": ...}``), page by page,
    at most ``max_items``; ``error`` when a page cannot be read."""
    items: list[dict[str, Any]] = []
    while len(items) < max_items:
        query = {**(params or {}), "limit": ORDERS_PAGE, "offset": len(items)}
        page = await _page(client, path, query, error)
        items.extend(page["items"][: max_items - len(items)])
        if not page["items"] or page.get("next") is None:
            break
    return items


async def _page(
    client: ResilientClient, path: str, params: Mapping[str, Any], error: type[Exception]
) -> dict[str, Any]:
    what = path.strip("/")
    try:
        response = await client.get(path, params=dict(params))
        response.raise_for_status()
        page: dict[str, Any] = response.json()
        if not isinstance(page.get("items"), list):
            raise ValueError("the answer has no list of items")
        if not all(isinstance(item, dict) for item in page["items"]):
            raise ValueError("an item is not an object")
    except (ResilienceError, httpx.HTTPError, ValueError) as exc:
        raise error(f"the {what} could not be read through the gateway: {exc}") from exc
    return page
