"""The HTTP actions against protocol-level fakes: what they send (paths, keys, bodies), that
they reach the configured services only (SSRF: redirects, hostile upstream data, absolute
URLs), and that every failure is an ActionFailed that says what happened."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from backbone.assistant.automation import (
    ActionFailed,
    CancelPendingOrders,
    GenerateReport,
    Services,
    action_key,
    perform,
)
from backbone.assistant.automation._http import (
    cancel_pending_orders,
    generate_report,
    service_client,
)
from backbone.resilience import testing

GATEWAY, REPORTS = "http://gateway.test:8000", "http://reports.test:8001"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
TASK = uuid.UUID("00000000-0000-4000-8000-000000000001")
JOB = "11111111-2222-4333-8444-555555555555"

Handler = Callable[[httpx.Request], httpx.Response]


def _order(order_id: int, *, created: str = "2026-01-01T00:00:00Z", **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "user_id": 123,
        "status": "pending",
        "created_at": created,
        **extra,
    }


class OrderService:
    """Pending orders of user 123 behind a fake gateway; every request recorded."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.orders = {order["order_id"]: order for order in orders}
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path
        if path == "/orders":
            status = request.url.params.get("status")
            items = [o for o in self.orders.values() if status in (None, o["status"])]
            return httpx.Response(200, json={"items": items, "total": len(items), "next": None})
        order = self.orders[int(path.rsplit("/", 1)[1])]
        headers = {"ETag": f'"v-{order["status"]}"'}
        if request.method == "PATCH":
            if request.headers.get("if-match") != headers["ETag"]:
                return httpx.Response(412, json={"status": 412})
            order["status"] = json.loads(request.content)["status"]
        return httpx.Response(200, json=order, headers={"ETag": f'"v-{order["status"]}"'})


def _services(handler: Handler, **extra: Any) -> Services:
    return Services(
        gateway_url=GATEWAY,
        reports_url=REPORTS,
        transport=httpx.MockTransport(handler),
        request_id="req-7",
        **extra,
    )


async def test_cancel_sets_the_old_pending_orders_cancelled_through_the_gateway() -> None:
    """Lists the user's pending orders, reads each older than the cutoff, PATCHes it to
    cancelled (merge patch, If-Match, an Idempotency-Key per order); newer ones stay."""
    service = OrderService([_order(2), _order(5, created="2026-05-30T00:00:00Z")])
    key = action_key(TASK, "a1")
    answer = await cancel_pending_orders(
        CancelPendingOrders(user_id=123, older_than_days=30),
        services=_services(service),
        key=key,
        now=NOW,
    )
    assert answer == {"user_id": 123, "older_than_days": 30, "cancelled": [2], "left_alone": []}
    assert service.orders[2]["status"] == "cancelled"
    assert service.orders[5]["status"] == "pending"
    listing, read, patch = service.seen
    assert listing.url.params["user_id"] == "123"
    assert listing.url.params["status"] == "pending"
    assert (read.method, read.url.path) == ("GET", "/orders/2")
    assert (patch.method, patch.url.path) == ("PATCH", "/orders/2")
    assert patch.headers["content-type"] == "application/merge-patch+json"
    assert patch.headers["if-match"] == '"v-pending"'
    assert patch.headers["idempotency-key"] == str(uuid.uuid5(uuid.UUID(key), "2"))
    assert {str(request.url.host) for request in service.seen} == {"gateway.test"}
    assert all(request.headers["x-request-id"] == "req-7" for request in service.seen)


async def test_an_order_paid_meanwhile_is_left_alone() -> None:
    """An order no longer pending when read, or changed before the PATCH (412), is not
    cancelled: the answer lists it as left alone."""
    service = OrderService([_order(2), _order(3)])
    original = service.__call__

    def racing(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/orders/2":
            service.orders[2]["status"] = "paid"
        if request.method == "PATCH" and request.url.path == "/orders/3":
            return httpx.Response(412, json={"status": 412})
        return original(request)

    answer = await cancel_pending_orders(
        CancelPendingOrders(user_id=123), services=_services(racing), key=action_key(TASK, "a1")
    )
    assert (answer["cancelled"], answer["left_alone"]) == ([], [2, 3])
    assert service.orders[2]["status"] == "paid"


def _report(seen: list[httpx.Request], status: int = 202) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json={"job_id": JOB}, headers={"Location": "/x"})

    return handler


async def test_a_report_is_asked_for_with_the_same_key_on_every_delivery() -> None:
    """POST /generate-report with a title and the action's Idempotency-Key: the same key
    for the same task and action, another for another action."""
    seen: list[httpx.Request] = []
    services = _services(_report(seen))
    args = GenerateReport(user_id=123)
    first = await generate_report(args, services=services, key=action_key(TASK, "a2"))
    await generate_report(args, services=services, key=action_key(TASK, "a2"))
    await generate_report(args, services=services, key=action_key(TASK, "a3"))
    assert first == {
        "user_id": 123,
        "job_id": JOB,
        "title": "Report for user 123",
        "status_url": f"/reports/{JOB}/status",
    }
    assert [(r.method, str(r.url)) for r in seen] == [("POST", REPORTS + "/generate-report")] * 3
    assert json.loads(seen[0].content) == {"title": "Report for user 123"}
    keys = [request.headers["idempotency-key"] for request in seen]
    assert keys[0] == keys[1] != keys[2]


async def test_a_keyed_write_is_retried_by_the_resilient_client() -> None:
    """A 503 on the POST is retried (it carries an Idempotency-Key), with the same key."""
    seen: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503)
        return httpx.Response(202, json={"job_id": JOB})

    with testing(attempts=3):
        answer = await generate_report(
            GenerateReport(user_id=1), services=_services(flaky), key=action_key(TASK, "a1")
        )
    assert answer["job_id"] == JOB
    assert len({request.headers["idempotency-key"] for request in seen}) == 1
    assert len(seen) == 2


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://evil.com/generate-report",
        "http://[::1]:8001/generate-report",
        "http://2130706433/",
        "/generate-report-elsewhere",
    ],
)
async def test_a_redirect_from_the_upstream_is_not_followed(location: str) -> None:
    """A 3xx (to another host, IPv6, a decimal IP, or even the same host) fails the
    action: redirects are never followed, nothing else is requested."""
    seen: list[httpx.Request] = []

    def redirecting(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(307, headers={"Location": location})

    with pytest.raises(ActionFailed, match="answered 307; redirects are not followed"):
        await generate_report(
            GenerateReport(user_id=1), services=_services(redirecting), key=action_key(TASK, "a1")
        )
    assert [str(request.url) for request in seen] == [REPORTS + "/generate-report"]


@pytest.mark.parametrize(
    "hostile_id",
    ["../../users/1", "1/../../admin", "http://evil.com/", "1@evil.com", 1.5, True, "7"],
)
async def test_an_order_id_from_the_upstream_must_be_an_integer(hostile_id: Any) -> None:
    """An order id is put in a path only as an integer: any other value in the Order
    Service's answer fails the action before a second request is made."""
    service = OrderService([])

    def hostile(request: httpx.Request) -> httpx.Response:
        service.seen.append(request)
        items = [_order(1) | {"order_id": hostile_id}]
        return httpx.Response(200, json={"items": items, "next": None})

    with pytest.raises(ActionFailed, match="the orders did not have the expected shape"):
        await cancel_pending_orders(
            CancelPendingOrders(user_id=123), services=_services(hostile), key=str(TASK)
        )
    assert len(service.seen) == 1


@pytest.mark.parametrize(
    "url",
    ["http://evil.com/orders", "http://gateway.test:8001/orders", "https://gateway.test:8000/x"],
)
async def test_a_client_refuses_any_other_origin(url: str) -> None:
    """The guard on every request: an absolute URL to another host, port or scheme is
    refused before anything is sent."""
    seen: list[httpx.Request] = []
    async with service_client(_services(_report(seen)), GATEWAY) as client:
        with pytest.raises(ActionFailed, match=r"refused a request outside http://gateway\.test"):
            await client.get(url)
    assert seen == []


@pytest.mark.parametrize(
    ("status", "message"),
    [(500, r"(?s)did not answer: .* 500 Internal"), (404, "answered 404"), (401, "answered 401")],
)
async def test_a_refusal_is_an_action_failure(status: int, message: str) -> None:
    """A service that refuses fails the action with its status."""
    with testing(attempts=1), pytest.raises(ActionFailed, match=message):
        await generate_report(
            GenerateReport(user_id=1),
            services=_services(_report([], status=status)),
            key=action_key(TASK, "a1"),
        )


async def test_an_unreachable_service_is_an_action_failure() -> None:
    """A connection error is an ActionFailed naming the service."""

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with (
        testing(attempts=1),
        pytest.raises(ActionFailed, match=r"(?s)Order Service did not answer: .*refused"),
    ):
        await cancel_pending_orders(
            CancelPendingOrders(user_id=1), services=_services(down), key=str(TASK)
        )


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("delete_everything", {}),
        ("generate_report", {"user_id": "123"}),
        ("generate_report", {"user_id": "http://evil.com/"}),
        ("generate_report", {"user_id": 1, "url": "http://evil.com/"}),
        ("cancel_pending_orders", {"user_id": 1, "older_than_days": "30"}),
        ("flag_for_follow_up", {"user_id": 1, "reason": ""}),
    ],
)
def test_perform_checks_the_tool_and_its_arguments_again(
    tool: str, arguments: dict[str, Any]
) -> None:
    """Only allow-listed tools with arguments their model accepts (strict types, no extra
    members) run: anything else fails before any service is called."""
    seen: list[httpx.Request] = []
    with pytest.raises(ActionFailed):
        perform(tool, arguments, services=_services(_report(seen)), task_id=TASK, action_id="a1")
    assert seen == []
