"""The Order Service behaves as contracts/openapi/orders.yaml says (status rules aside:
they are in test_orders_status.py)."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from fastapi import FastAPI

from backbone.mocks.orders import create_app
from backbone.mocks.orders.config import OrdersSettings, get_settings
from tests.unit.mocks.conftest import ORDERS_BODY_LIMIT, assert_problem

ETAG = re.compile(r'^"[\x21\x23-\x7e]*"$')
JSON = {"content-type": "application/json"}
ITEM = {"sku": "BOOK-1", "quantity": 2, "unit_price_cents": 1250}
NEW_ORDER = {"user_id": 123, "items": [ITEM]}


async def _ids(orders: httpx.AsyncClient, **params: object) -> list[int]:
    page = (await orders.get("/orders", params={"limit": 100, **params})).json()
    return [order["order_id"] for order in page["items"]]


async def test_seeded_order_matches_the_contract_example(orders: httpx.AsyncClient) -> None:
    """GET /orders/1 is user 123's paid book order, total computed, in USD, with an ETag."""
    response = await orders.get("/orders/1")
    assert response.status_code == 200
    assert response.json() == {
        "order_id": 1,
        "user_id": 123,
        "items": [ITEM],
        "status": "paid",
        "total_cents": 2500,
        "currency": "USD",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    assert ETAG.fullmatch(response.headers["etag"])


async def test_john_doe_has_two_orders(orders: httpx.AsyncClient) -> None:
    """User 123 (John Doe in the User Service) has at least two seeded orders."""
    page = (await orders.get("/orders", params={"user_id": 123})).json()
    assert page["total"] >= 2
    assert {order["user_id"] for order in page["items"]} == {123}


async def test_list_is_ascending_with_filters(orders: httpx.AsyncClient) -> None:
    """Orders come by ascending id; user_id and status filter, alone or together."""
    assert await _ids(orders) == [1, 2, 3, 4]
    assert await _ids(orders, status="paid") == [1]
    assert await _ids(orders, user_id=123, status="pending") == [2]
    assert await _ids(orders, user_id=123, status="shipped") == []
    assert await _ids(orders, user_id=999) == []


async def test_next_keeps_the_filters(orders: httpx.AsyncClient) -> None:
    """next is the following page with the same filters; the last page has none."""
    page = (await orders.get("/orders", params={"user_id": 123, "limit": 1})).json()
    assert page["next"] == "/orders?user_id=123&limit=1&offset=1"
    last = (await orders.get(page["next"])).json()
    assert ([o["order_id"] for o in last["items"]], last["next"]) == ([2], None)
    page = (await orders.get("/orders", params={"status": "paid", "limit": 1})).json()
    assert page["next"] is None
    beyond = (await orders.get("/orders", params={"offset": 50})).json()
    assert (beyond["items"], beyond["total"]) == ([], 4)


async def test_updated_since_lists_only_orders_changed_since(orders: httpx.AsyncClient) -> None:
    """updated_since keeps orders changed at or after the time (an RFC 3339 date-time, any
    offset), with the other filters, and next keeps it."""
    assert await _ids(orders, updated_since="2026-01-01T00:00:00Z") == [1, 2, 3, 4]
    assert await _ids(orders, updated_since="2026-01-01T00:00:00.001Z") == []
    created = (await orders.post("/orders", json=NEW_ORDER)).json()
    since = created["updated_at"]
    assert await _ids(orders, updated_since=since) == [5]
    merge_patch = {"content-type": "application/merge-patch+json"}
    await orders.patch("/orders/2", json={"status": "paid"}, headers=merge_patch)
    assert await _ids(orders, updated_since=since) == [2, 5]
    assert await _ids(orders, updated_since=since, status="paid") == [2]
    assert await _ids(orders, updated_since="2026-01-01T01:00:00+02:00") == [1, 2, 3, 4, 5]
    first = {"updated_since": "2026-01-01T00:00:00Z", "limit": 1}
    page = (await orders.get("/orders", params=first)).json()
    since_utc = "2026-01-01T00%3A00%3A00%2B00%3A00"
    assert page["next"] == f"/orders?updated_since={since_utc}&limit=1&offset=1"


@pytest.mark.parametrize(
    "params",
    [
        {"updated_since": "2026-01-01T00:00:00"},
        {"updated_since": "yesterday"},
        {"updated_since": "2026-13-01T00:00:00Z"},
        {"updated_since": "1767225600"},
        {"user_id": 0},
        {"user_id": 2_147_483_648},
        {"user_id": "me"},
        {"status": "lost"},
        {"status": "PAID"},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 1_000_001},
    ],
)
async def test_invalid_list_parameters_are_422(
    orders: httpx.AsyncClient, params: dict[str, object]
) -> None:
    """Filters and pagination outside the contract are a 422 on the query."""
    body = assert_problem(await orders.get("/orders", params=params), 422)
    assert body["errors"][0]["loc"][0] == "query"


async def test_create_is_pending_with_a_computed_total(orders: httpx.AsyncClient) -> None:
    """POST makes a pending order, totals the lines (repeated SKUs too), and says where it is."""
    items = [ITEM, {"sku": "MUG-7", "quantity": 3, "unit_price_cents": 899}, ITEM]
    response = await orders.post("/orders", json={"user_id": 7, "items": items})
    assert response.status_code == 201
    order = response.json()
    assert order["order_id"] == 5
    assert (order["status"], order["currency"], order["user_id"]) == ("pending", "USD", 7)
    assert order["total_cents"] == 2500 + 3 * 899 + 2500
    assert order["items"] == items
    assert response.headers["location"] == "/orders/5"
    read = await orders.get("/orders/5")
    assert read.json() == order
    assert read.headers["etag"] == response.headers["etag"]


async def test_users_are_not_checked(orders: httpx.AsyncClient) -> None:
    """An order for a user no service knows is accepted (the mock works alone)."""
    response = await orders.post("/orders", json={"user_id": 2_147_483_647, "items": [ITEM]})
    assert response.status_code == 201


async def test_largest_order_total_is_exact(orders: httpx.AsyncClient) -> None:
    """50 lines of 1,000 units at 100,000.00 USD total exactly, well under 2^53."""
    item = {"sku": "GOLD", "quantity": 1000, "unit_price_cents": 10_000_000}
    response = await orders.post("/orders", json={"user_id": 1, "items": [item] * 50})
    assert response.json()["total_cents"] == 500_000_000_000


async def test_integral_floats_are_integers(orders: httpx.AsyncClient) -> None:
    """JSON 3.0 is the integer 3, as JSON Schema counts it."""
    item = {"sku": "A", "quantity": 3.0, "unit_price_cents": 100.0}
    response = await orders.post("/orders", json={"user_id": 5.0, "items": [item]})
    assert response.status_code == 201
    assert (response.json()["user_id"], response.json()["total_cents"]) == (5, 300)


def _with_item(**member: object) -> dict[str, object]:
    return {"user_id": 1, "items": [{**ITEM, **member}]}


INVALID_ORDERS = [
    {},
    {"user_id": 1},
    {"items": [ITEM]},
    {"user_id": 1, "items": []},
    {"user_id": 1, "items": [ITEM] * 51},
    {"user_id": 0, "items": [ITEM]},
    {"user_id": 2_147_483_648, "items": [ITEM]},
    {"user_id": "123", "items": [ITEM]},
    {"user_id": True, "items": [ITEM]},
    {"user_id": None, "items": [ITEM]},
    {"user_id": 1, "items": ITEM},
    {**NEW_ORDER, "total_cents": 1},
    {**NEW_ORDER, "status": "paid"},
    {**NEW_ORDER, "currency": "USD"},
    _with_item(quantity=0),
    _with_item(quantity=1001),
    _with_item(quantity=1.5),
    _with_item(quantity="2"),
    _with_item(unit_price_cents=-1),
    _with_item(unit_price_cents=10_000_001),
    _with_item(sku="book-1"),
    _with_item(sku="-BOOK"),
    _with_item(sku="B" * 33),
    _with_item(sku=""),
    _with_item(colour="red"),
    [],
    None,
]


@pytest.mark.parametrize("body", INVALID_ORDERS)
async def test_invalid_create_is_422_and_stores_nothing(
    orders: httpx.AsyncClient, body: object
) -> None:
    """Bodies outside OrderCreate (unknown members, a total or a status included) are 422."""
    assert_problem(await orders.post("/orders", content=json.dumps(body), headers=JSON), 422)
    assert await _ids(orders) == [1, 2, 3, 4]


async def test_create_body_problems(orders: httpx.AsyncClient) -> None:
    """Not JSON is 415 (Accept-Post), not UTF-8 is 400, over the limit is 413."""
    text = await orders.post("/orders", content=b"{}", headers={"content-type": "text/plain"})
    assert_problem(text, 415)
    assert text.headers["accept-post"] == "application/json"
    assert_problem(await orders.post("/orders", content=b'{"user_id": \xff}', headers=JSON), 400)
    big = json.dumps({"user_id": 1, "items": [ITEM] * 200}).encode()
    assert len(big) > ORDERS_BODY_LIMIT
    assert_problem(await orders.post("/orders", content=big, headers=JSON), 413)
    assert await _ids(orders) == [1, 2, 3, 4]


async def test_unknown_and_invalid_ids(orders: httpx.AsyncClient) -> None:
    """An id no order has is 404; an id that is not 1..2^31-1 is 422."""
    assert assert_problem(await orders.get("/orders/99"), 404)["detail"] == "No order has id 99."
    for order_id in ("0", "x", "2147483648"):
        body = assert_problem(await orders.get(f"/orders/{order_id}"), 422)
        assert body["errors"][0]["loc"] == ["path", "order_id"]


async def test_if_none_match_answers_304(orders: httpx.AsyncClient) -> None:
    """The current tag (or *) is a 304 with the tag; a stale one gets the order again."""
    etag = (await orders.get("/orders/1")).headers["etag"]
    for header in (etag, f"W/{etag}", "*"):
        response = await orders.get("/orders/1", headers={"If-None-Match": header})
        assert (response.status_code, response.content) == (304, b"")
        assert response.headers["etag"] == etag
    stale = await orders.get("/orders/1", headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200


async def test_patch_null_is_refused(orders: httpx.AsyncClient) -> None:
    """No member can be removed: null for any of them is 422, nothing changes."""
    before = (await orders.get("/orders/2")).json()
    headers = {"content-type": "application/merge-patch+json"}
    for member in ("user_id", "items", "status"):
        body = json.dumps({member: None})
        assert_problem(await orders.patch("/orders/2", content=body, headers=headers), 422)
    assert (await orders.get("/orders/2")).json() == before


async def test_empty_patch_changes_nothing(orders: httpx.AsyncClient) -> None:
    """{} keeps the order, its updated_at and its ETag."""
    before = await orders.get("/orders/2")
    after = await orders.patch("/orders/2", json={})
    assert after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]


async def test_patch_media_types(orders: httpx.AsyncClient) -> None:
    """PATCH takes merge-patch+json or JSON; anything else is 415 naming both."""
    headers = {"content-type": "application/merge-patch+json"}
    response = await orders.patch("/orders/2", content=b'{"status": "paid"}', headers=headers)
    assert response.json()["status"] == "paid"
    refused = await orders.patch("/orders/2", content=b"{}", headers={"content-type": "text/csv"})
    assert_problem(refused, 415)
    assert refused.headers["accept-patch"] == "application/merge-patch+json, application/json"


@pytest.mark.parametrize("body", [{"user_id": 1, "items": [ITEM]}, {"status": "paid"}, []])
async def test_invalid_put_is_422(orders: httpx.AsyncClient, body: object) -> None:
    """PUT needs user_id, items and status, and nothing else."""
    assert_problem(await orders.put("/orders/2", content=json.dumps(body), headers=JSON), 422)


async def test_put_and_patch_never_create(orders: httpx.AsyncClient) -> None:
    """Writing to an id no order has is a 404, and no order appears."""
    assert_problem(await orders.put("/orders/99", json={**NEW_ORDER, "status": "pending"}), 404)
    assert_problem(await orders.patch("/orders/99", json={"status": "paid"}), 404)
    assert await _ids(orders) == [1, 2, 3, 4]


@pytest.mark.parametrize("order_id", [1, 2, 3, 4])
async def test_delete_whatever_the_status(orders: httpx.AsyncClient, order_id: int) -> None:
    """DELETE removes an order in any status: 204, then 404, ids never reused."""
    response = await orders.delete(f"/orders/{order_id}")
    assert (response.status_code, response.content) == (204, b"")
    assert_problem(await orders.get(f"/orders/{order_id}"), 404)
    assert_problem(await orders.delete(f"/orders/{order_id}"), 404)
    assert (await orders.post("/orders", json=NEW_ORDER)).json()["order_id"] == 5


@pytest.mark.parametrize(
    ("method", "body"),
    [("PUT", {**NEW_ORDER, "status": "pending"}), ("PATCH", {"status": "paid"}), ("DELETE", None)],
)
async def test_if_match(orders: httpx.AsyncClient, method: str, body: object) -> None:
    """A stale or weak If-Match is 412 and changes nothing; the current tag writes."""
    before = await orders.get("/orders/2")
    etag = before.headers["etag"]
    for tag in ('"stale"', f"W/{etag}"):
        response = await orders.request(method, "/orders/2", json=body, headers={"If-Match": tag})
        assert_problem(response, 412)
    assert (await orders.get("/orders/2")).headers["etag"] == etag
    response = await orders.request(method, "/orders/2", json=body, headers={"If-Match": etag})
    assert response.status_code in (200, 204)


async def test_concurrent_conditional_writes_let_one_through(orders: httpx.AsyncClient) -> None:
    """Ten writes naming the same version at once: exactly one wins, the rest are 412."""
    etag = (await orders.get("/orders/2")).headers["etag"]
    responses = await asyncio.gather(
        *(
            orders.patch("/orders/2", json={"user_id": n}, headers={"If-Match": etag})
            for n in range(1, 11)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [412] * 9


async def test_concurrent_creates_get_distinct_ids(orders: httpx.AsyncClient) -> None:
    """Twenty creates at once: twenty different orders."""
    responses = await asyncio.gather(*(orders.post("/orders", json=NEW_ORDER) for _ in range(20)))
    assert sorted(r.json()["order_id"] for r in responses) == list(range(5, 25))


async def test_request_id_and_operations(orders: httpx.AsyncClient) -> None:
    """X-Request-ID comes back; /healthz, /readyz and /metrics are served."""
    response = await orders.get("/orders/99", headers={"X-Request-ID": "o-1"})
    assert response.headers["x-request-id"] == response.json()["request_id"] == "o-1"
    assert (await orders.get("/healthz")).json() == {"status": "ok"}
    assert (await orders.get("/readyz")).status_code == 200
    metrics = (await orders.get("/metrics")).text
    assert 'route="/orders/{order_id}",status="404"' in metrics


async def test_unsupported_method_is_405(orders: httpx.AsyncClient) -> None:
    """POST /orders/1 is 405 naming the methods an order serves."""
    response = await orders.post("/orders/1", json={})
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, PUT, PATCH, DELETE"


async def test_apps_do_not_share_orders(orders: httpx.AsyncClient, orders_app: FastAPI) -> None:
    """Each app starts from the seed alone: another app never sees this one's writes."""
    await orders.delete("/orders/1")
    other = create_app(OrdersSettings(_env_file=None))  # type: ignore[call-arg]
    transport = httpx.ASGITransport(app=other)
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
        assert (await client.get("/orders/1")).status_code == 200
    assert other.state.store is not orders_app.state.store


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The core variables configure the service; create_app() reads them once."""
    monkeypatch.setenv("MAX_BODY_BYTES", "2048")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert settings.max_body_bytes == 2048
        assert create_app().state.settings is settings
    finally:
        get_settings.cache_clear()
