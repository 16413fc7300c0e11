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

__all__ = ["ORDERS_PAGE", "OrdersUnavailable", "fetch_orders", "order_row"]

ORDERS_PAGE = 100
"""Orders asked for per request (the Order Service's largest page)."""


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
    headers = {"X-Request-ID": request_id} if request_id else {}
    rows: list[dict[str, Any]] = []
    async with ResilientClient(
        base_url=gateway_url,
        headers=headers,
        timeout=request_timeout,
        transport=transport,
        max_retries=3,
    ) as client:
        while len(rows) < max_rows:
            page = await _page(client, offset=len(rows))
            try:
                rows.extend(order_row(order) for order in page["items"][: max_rows - len(rows)])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise OrdersUnavailable(
                    f"the orders did not have the expected shape: {exc!r}"
                ) from exc
            if not page["items"] or page.get("next") is None:
                break
    return rows


async def _page(client: ResilientClient, *, offset: int) -> dict[str, Any]:
    params = {"limit": ORDERS_PAGE, "offset": offset}
    try:
        response = await client.get("/orders", params=params)
        response.raise_for_status()
        page: dict[str, Any] = response.json()
        if not isinstance(page.get("items"), list):
            raise ValueError("the answer has no list of items")
    except (ResilienceError, httpx.HTTPError, ValueError) as exc:
        raise OrdersUnavailable(f"the orders could not be read through the gateway: {exc}") from exc
    return page
