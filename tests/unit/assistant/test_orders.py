"""The orders source: every page read through the gateway, flattened, bounded, with the
request id on every call; a bad answer is a clear error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backbone.assistant.orders import ORDERS_PAGE, OrdersUnavailable, fetch_orders, order_row
from backbone.resilience import testing

ORDER = {
    "order_id": 1,
    "user_id": 123,
    "items": [
        {"sku": "BOOK-1", "quantity": 2, "unit_price_cents": 1250},
        {"sku": "PEN-9", "quantity": 1, "unit_price_cents": 300},
    ],
    "status": "paid",
    "total_cents": 2800,
    "currency": "USD",
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-02T00:00:00Z",
}


def _orders(count: int) -> list[dict[str, Any]]:
    return [{**ORDER, "order_id": number} for number in range(1, count + 1)]


def _paging(orders: list[dict[str, Any]], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        limit = int(request.url.params["limit"])
        offset = int(request.url.params["offset"])
        items = orders[offset : offset + limit]
        following = None if offset + limit >= len(orders) else f"/orders?offset={offset + limit}"
        return httpx.Response(200, json={"items": items, "total": len(orders), "next": following})

    return httpx.MockTransport(handler)


def test_an_order_becomes_one_row_of_scalars() -> None:
    """Items are counted (lines and units); every value is a scalar."""
    row = order_row(ORDER)
    assert row["items"] == 2
    assert row["units"] == 3
    assert row["total_cents"] == 2800
    assert all(not isinstance(value, dict | list) for value in row.values())


async def test_every_page_is_read_with_the_request_id() -> None:
    """250 orders come in three pages, each request carrying the task's request id."""
    seen: list[httpx.Request] = []
    rows = await fetch_orders(
        "http://gateway.test",
        max_rows=10_000,
        request_id="req-42",
        transport=_paging(_orders(250), seen),
    )
    assert [row["order_id"] for row in rows] == list(range(1, 251))
    assert len(seen) == 3
    assert {request.headers["X-Request-ID"] for request in seen} == {"req-42"}
    assert {request.url.host for request in seen} == {"gateway.test"}
    assert seen[0].url.params["limit"] == str(ORDERS_PAGE)


async def test_reading_stops_at_the_row_cap() -> None:
    """No more than ``max_rows`` rows are read, and no page past them is asked for."""
    seen: list[httpx.Request] = []
    rows = await fetch_orders(
        "http://gateway.test", max_rows=150, transport=_paging(_orders(1000), seen)
    )
    assert len(rows) == 150
    assert len(seen) == 2


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"title": "boom"}),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"items": "nope"}),
        httpx.Response(200, json={"items": [{"order_id": 1}], "next": None}),
    ],
    ids=["server-error", "not-json", "no-list", "bad-order"],
)
async def test_a_bad_answer_is_a_clear_error(answer: httpx.Response) -> None:
    """A 5xx, a body that is not JSON, or orders of the wrong shape: OrdersUnavailable."""
    transport = httpx.MockTransport(lambda request: answer)
    with testing(), pytest.raises(OrdersUnavailable, match="orders"):
        await fetch_orders("http://gateway.test", max_rows=10, transport=transport)
