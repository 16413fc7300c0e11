"""The Order Service's rules: which status changes are allowed, and what may change when."""

from __future__ import annotations

import itertools

import httpx
import pytest

from tests.unit.mocks.conftest import assert_problem

STATUSES = ("pending", "paid", "shipped", "cancelled")
ALLOWED = {
    ("pending", "paid"),
    ("pending", "cancelled"),
    ("paid", "shipped"),
    ("paid", "cancelled"),
}
ROUTE = {
    "pending": [],
    "paid": ["paid"],
    "shipped": ["paid", "shipped"],
    "cancelled": ["cancelled"],
}
ITEM = {"sku": "BOOK-1", "quantity": 2, "unit_price_cents": 1250}
OTHER_ITEM = {"sku": "PEN-10", "quantity": 10, "unit_price_cents": 120}


async def _order_in(orders: httpx.AsyncClient, status: str) -> tuple[str, httpx.Response]:
    """A new order of user 7, moved to ``status`` by allowed steps: its URL, its last answer."""
    response = await orders.post("/orders", json={"user_id": 7, "items": [ITEM]})
    location = response.headers["location"]
    for step in ROUTE[status]:
        response = await orders.patch(location, json={"status": step})
        assert response.status_code == 200, response.text
    return location, response


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(STATUSES, STATUSES)))
async def test_status_changes(orders: httpx.AsyncClient, current: str, wanted: str) -> None:
    """Only pending→paid|cancelled and paid→shipped|cancelled move; the same status is a
    no-op; every other change is 409 and leaves the order as it was."""
    location, before = await _order_in(orders, current)
    response = await orders.patch(location, json={"status": wanted})
    if current == wanted:
        assert response.json() == before.json()
        assert response.headers["etag"] == before.headers["etag"]
    elif (current, wanted) in ALLOWED:
        assert response.json()["status"] == wanted
        assert response.json()["updated_at"] > before.json()["updated_at"]
        assert response.headers["etag"] != before.headers["etag"]
    else:
        assert_problem(response, 409)
        assert (await orders.get(location)).json() == before.json()


async def test_pending_order_lines_and_user_can_change(orders: httpx.AsyncClient) -> None:
    """While pending, items and user_id change and the total follows the items."""
    location, _ = await _order_in(orders, "pending")
    response = await orders.patch(location, json={"items": [OTHER_ITEM], "user_id": 8})
    order = response.json()
    assert (order["items"], order["user_id"], order["total_cents"]) == ([OTHER_ITEM], 8, 1200)


@pytest.mark.parametrize("status", ["paid", "shipped", "cancelled"])
@pytest.mark.parametrize("change", [{"items": [OTHER_ITEM]}, {"user_id": 8}])
async def test_lines_and_user_are_frozen_after_pending(
    orders: httpx.AsyncClient, status: str, change: dict[str, object]
) -> None:
    """Past pending, changing items or user_id is 409 naming the member; nothing changes."""
    location, before = await _order_in(orders, status)
    response = await orders.patch(location, json=change)
    assert_problem(response, 409)
    assert next(iter(change)) in response.json()["detail"]
    assert (await orders.get(location)).json() == before.json()


async def test_setting_the_same_lines_when_paid_is_allowed(orders: httpx.AsyncClient) -> None:
    """Only a real change is refused: the current items and user with a new status pass."""
    location, _ = await _order_in(orders, "paid")
    body = {"user_id": 7, "items": [ITEM], "status": "shipped"}
    response = await orders.put(location, json=body)
    assert response.status_code == 200
    assert response.json()["status"] == "shipped"


async def test_put_may_change_lines_and_pay_at_once(orders: httpx.AsyncClient) -> None:
    """PUT on a pending order may replace its items and move it to paid in one go."""
    location, _ = await _order_in(orders, "pending")
    body = {"user_id": 9, "items": [OTHER_ITEM, ITEM], "status": "paid"}
    order = (await orders.put(location, json=body)).json()
    assert (order["status"], order["user_id"], order["total_cents"]) == ("paid", 9, 3700)


async def test_put_with_a_refused_status_changes_nothing(orders: httpx.AsyncClient) -> None:
    """A PUT whose status change is refused is 409, its other members not applied either."""
    location, before = await _order_in(orders, "shipped")
    body = {"user_id": 8, "items": [OTHER_ITEM], "status": "pending"}
    assert_problem(await orders.put(location, json=body), 409)
    assert (await orders.get(location)).json() == before.json()
