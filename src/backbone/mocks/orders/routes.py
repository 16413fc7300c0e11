"""The routes of contracts/openapi/orders.yaml: ``/orders`` and ``/orders/{order_id}``."""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BeforeValidator
from starlette.responses import Response

from backbone.mocks._common import (
    JSON_BODY,
    MERGE_PATCH_BODY,
    IfMatch,
    IfNoneMatch,
    Limit,
    Offset,
    Page,
    RecordStore,
    create_responses,
    delete_responses,
    list_responses,
    page_of,
    present_members,
    read_responses,
    tagged,
    tagged_unless_fresh,
    utcnow,
    write_responses,
)
from backbone.mocks.orders.deps import StoreDep
from backbone.mocks.orders.schemas import (
    MAX_ID,
    Order,
    OrderCreate,
    OrderPage,
    OrderPatch,
    OrderReplace,
    OrderStatus,
)
from backbone.mocks.orders.store import change_order, total_cents

logger = logging.getLogger(__name__)

router = APIRouter(tags=["orders"])

OrderId = Annotated[int, Path(ge=1, le=MAX_ID, description="The order's id.")]
UserFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this user's orders.")]
StatusFilter = Annotated[OrderStatus | None, Query(description="Only orders in this status.")]
# RFC 3339's date-time, offset required: pydantic alone would also take a Unix time.
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _rfc3339(value: object) -> object:
    if isinstance(value, str) and not RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time with an offset (2026-01-01T00:00:00Z)")
    return value


UpdatedSince = Annotated[
    AwareDatetime | None,
    BeforeValidator(_rfc3339),
    Query(description="Only orders created or changed at or after this time (RFC 3339)."),
]
CONFLICT = "The change is not allowed in the order's current status; nothing changed."


async def _change(
    order_id: int,
    changes: dict[str, Any],
    *,
    store: RecordStore[Order],
    response: Response,
    if_match: str | None,
) -> Order:
    """Apply ``changes`` (PUT: every field; PATCH: its members) if If-Match and the rules allow."""
    updated = await store.update(
        order_id, lambda order: change_order(order, changes), if_match=if_match
    )
    members = ",".join(sorted(changes))
    logger.info(
        "order_changed order_id=%d members=%s status=%s", order_id, members, updated.record.status
    )
    return tagged(response, updated)


@router.get(
    "/orders",
    operation_id="listOrders",
    summary="A page of orders, optionally filtered by user, status and time of change.",
    response_model=OrderPage,
    responses=list_responses(),
)
async def list_orders(
    store: StoreDep,
    user_id: UserFilter = None,
    status: StatusFilter = None,
    updated_since: UpdatedSince = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[Order]:
    orders = await store.select(
        lambda order: (
            user_id in (None, order.user_id)
            and status in (None, order.status)
            and (updated_since is None or order.updated_at >= updated_since)
        )
    )
    since = updated_since.isoformat() if updated_since else None
    filters = {"user_id": user_id, "status": status, "updated_since": since}
    return page_of(orders, limit=limit, offset=offset, path="/orders", filters=filters)


@router.post(
    "/orders",
    operation_id="createOrder",
    summary="Create an order (status `pending`).",
    status_code=201,
    response_model=Order,
    dependencies=[Depends(JSON_BODY)],
    responses=create_responses("order"),
)
async def create_order(body: OrderCreate, store: StoreDep, response: Response) -> Order:
    now = utcnow()
    created = await store.create(
        lambda order_id: Order(
            order_id=order_id,
            user_id=body.user_id,
            items=body.items,
            status="pending",
            total_cents=total_cents(body.items),
            created_at=now,
            updated_at=now,
        )
    )
    order_id = created.record.order_id
    response.headers["Location"] = f"/orders/{order_id}"
    logger.info("order_created order_id=%d user_id=%d", order_id, body.user_id)
    return tagged(response, created)


@router.get(
    "/orders/{order_id}",
    operation_id="getOrder",
    summary="One order.",
    response_model=Order,
    responses=read_responses("order"),
)
async def get_order(
    order_id: OrderId, store: StoreDep, response: Response, if_none_match: IfNoneMatch = None
) -> Order | Response:
    return tagged_unless_fresh(response, await store.get(order_id), if_none_match)


@router.put(
    "/orders/{order_id}",
    operation_id="replaceOrder",
    summary="Replace an order's writable fields (the status rules apply).",
    response_model=Order,
    dependencies=[Depends(JSON_BODY)],
    responses=write_responses("order", conflict=CONFLICT),
)
async def replace_order(
    order_id: OrderId,
    body: OrderReplace,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> Order:
    changes = {"user_id": body.user_id, "items": body.items, "status": body.status}
    return await _change(order_id, changes, store=store, response=response, if_match=if_match)


@router.patch(
    "/orders/{order_id}",
    operation_id="updateOrder",
    summary="Change some of an order's fields (JSON merge patch, RFC 7396).",
    response_model=Order,
    dependencies=[Depends(MERGE_PATCH_BODY)],
    responses=write_responses("order", conflict=CONFLICT),
)
async def update_order(
    order_id: OrderId,
    body: OrderPatch,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> Order:
    changes = present_members(body)
    return await _change(order_id, changes, store=store, response=response, if_match=if_match)


@router.delete(
    "/orders/{order_id}",
    operation_id="deleteOrder",
    summary="Delete an order, whatever its status.",
    status_code=204,
    response_class=Response,
    responses=delete_responses("order"),
)
async def delete_order(order_id: OrderId, store: StoreDep, if_match: IfMatch = None) -> Response:
    await store.delete(order_id, if_match=if_match)
    logger.info("order_deleted order_id=%d", order_id)
    return Response(status_code=204)
