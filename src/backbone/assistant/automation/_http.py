"""The actions that call this system's services: the Order Service (through the gateway)
and the report processor, each through :class:`ResilientClient`.

SSRF: a client is made for one configured base URL and every path is built from
integers (a validated user id, an order id the Order Service gave, checked as an
integer); redirects are not followed, and a request hook refuses any request to another
origin before it is sent (a second lock, should a path ever be built wrongly).

Idempotency: every write carries an ``Idempotency-Key`` derived from the task and the
action (:func:`~backbone.assistant.automation.action_key`), so ResilientClient may retry
it and a delivery run again sends the same key. The report processor answers the same
job for the same key; setting an order's status to ``cancelled`` again changes nothing,
and the cancel is conditional on the version read (``If-Match``), so an order that was
paid or shipped meanwhile is left alone.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from backbone.assistant.automation._actions import CancelPendingOrders, GenerateReport
from backbone.assistant.automation._errors import ActionFailed
from backbone.resilience import ResilienceError, ResilientClient

__all__ = ["Services", "cancel_pending_orders", "generate_report", "service_client"]

ORDERS_PAGE = 100
MAX_ORDERS = 1000
"""Pending orders one action looks at, at most (ten pages)."""
MERGE_PATCH = "application/merge-patch+json"


@dataclass(frozen=True, slots=True)
class Services:
    """Where the actions act (from configuration only) and how they call."""

    gateway_url: str
    reports_url: str
    database_url: str | None = None
    request_id: str | None = None
    transport: httpx.AsyncBaseTransport | None = None
    timeout: float = 10.0
    max_retries: int = 3


def _same_origin(base: httpx.URL) -> Any:
    async def guard(request: httpx.Request) -> None:
        if (request.url.scheme, request.url.host, request.url.port) != (
            base.scheme,
            base.host,
            base.port,
        ):
            raise ActionFailed(f"refused a request outside {base.scheme}://{base.host}")

    return guard


@asynccontextmanager
async def service_client(services: Services, base_url: str) -> AsyncIterator[ResilientClient]:
    """A ResilientClient bound to one configured service: no redirects, no other origin."""
    base = httpx.URL(base_url)
    headers = {"X-Request-ID": services.request_id} if services.request_id else {}
    client = httpx.AsyncClient(
        base_url=base,
        headers=headers,
        timeout=services.timeout,
        transport=services.transport,
        follow_redirects=False,
        event_hooks={"request": [_same_origin(base)]},
    )
    async with client, ResilientClient(client=client, max_retries=services.max_retries) as rc:
        yield rc


def _expect(response: httpx.Response, *statuses: int, what: str) -> None:
    if response.status_code in statuses:
        return
    if response.is_redirect:
        raise ActionFailed(f"{what}: answered {response.status_code}; redirects are not followed")
    raise ActionFailed(f"{what}: answered {response.status_code}")


class _Order(BaseModel):
    """What the action reads of an order: the id it puts in a path is an integer."""

    model_config = ConfigDict(extra="ignore")

    order_id: int = Field(ge=1, le=2147483647, strict=True)
    user_id: int
    status: str
    created_at: AwareDatetime


class _OrderPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: list[_Order]
    next: str | None = None


async def _pending(client: ResilientClient, user_id: int) -> list[_Order]:
    orders: list[_Order] = []
    while len(orders) < MAX_ORDERS:
        params: dict[str, str | int] = {
            "user_id": user_id,
            "status": "pending",
            "limit": ORDERS_PAGE,
            "offset": len(orders),
        }
        response = await client.get("/orders", params=params)
        _expect(response, 200, what="listing the orders")
        try:
            page = _OrderPage.model_validate_json(response.content)
        except ValidationError as exc:
            raise ActionFailed(f"the orders did not have the expected shape: {exc}") from None
        orders.extend(page.items)
        if not page.items or page.next is None:
            break
    return orders


async def _cancel(client: ResilientClient, order: _Order, key: str) -> Literal["done", "changed"]:
    """Cancel one order if it is still pending, as read (If-Match)."""
    path = f"/orders/{order.order_id:d}"
    current = await client.get(path)
    _expect(current, 200, what=f"reading order {order.order_id}")
    if current.json().get("status") != "pending":
        return "changed"
    headers = {"Idempotency-Key": key, "Content-Type": MERGE_PATCH}
    if etag := current.headers.get("ETag"):
        headers["If-Match"] = etag
    response = await client.patch(path, content=b'{"status":"cancelled"}', headers=headers)
    if response.status_code in (409, 412):
        return "changed"  # paid, shipped or changed since it was read: left alone
    _expect(response, 200, what=f"cancelling order {order.order_id}")
    return "done"


async def cancel_pending_orders(
    args: CancelPendingOrders, *, services: Services, key: str, now: datetime | None = None
) -> dict[str, Any]:
    """Cancel the user's pending orders older than the days given; what was cancelled."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=args.older_than_days)
    cancelled: list[int] = []
    left: list[int] = []
    try:
        async with service_client(services, services.gateway_url) as client:
            for order in await _pending(client, args.user_id):
                if order.user_id != args.user_id or order.created_at > cutoff:
                    continue
                order_key = str(uuid.uuid5(uuid.UUID(key), str(order.order_id)))
                outcome = await _cancel(client, order, order_key)
                (cancelled if outcome == "done" else left).append(order.order_id)
    except (ResilienceError, httpx.HTTPError) as exc:
        raise ActionFailed(f"the Order Service did not answer: {exc}") from exc
    return {
        "user_id": args.user_id,
        "older_than_days": args.older_than_days,
        "cancelled": cancelled,
        "left_alone": left,
    }


class _Accepted(BaseModel):
    model_config = ConfigDict(extra="ignore")

    job_id: uuid.UUID


async def generate_report(args: GenerateReport, *, services: Services, key: str) -> dict[str, Any]:
    """Ask the report processor for a report on the user; the job it made (the same job for
    the same key)."""
    title = f"Report for user {args.user_id}"
    try:
        async with service_client(services, services.reports_url) as client:
            response = await client.post(
                "/generate-report", json={"title": title}, headers={"Idempotency-Key": key}
            )
    except (ResilienceError, httpx.HTTPError) as exc:
        raise ActionFailed(f"the report processor did not answer: {exc}") from exc
    _expect(response, 200, 201, 202, what="the report processor")
    try:
        accepted = _Accepted.model_validate_json(response.content)
    except ValidationError:
        raise ActionFailed("the report processor's answer has no job id") from None
    return {
        "user_id": args.user_id,
        "job_id": str(accepted.job_id),
        "title": title,
        "status_url": f"/reports/{accepted.job_id}/status",
    }
