"""The Order Service's records and rules: a seeded in-memory store per app, and what may change.

Status: ``pending`` → ``paid`` | ``cancelled``; ``paid`` → ``shipped`` | ``cancelled``;
``shipped`` and ``cancelled`` are final; setting the current status again changes
nothing. ``user_id`` and ``items`` change only while the order is ``pending``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from backbone.core.problems import ProblemError
from backbone.mocks._common import RecordStore, with_changes
from backbone.mocks.orders.schemas import Item, Order, OrderStatus

TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    "pending": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"shipped", "cancelled"}),
    "shipped": frozenset(),
    "cancelled": frozenset(),
}
PENDING_ONLY = ("user_id", "items")

SEEDED_AT = datetime(2026, 1, 1, tzinfo=UTC)
SEED: tuple[tuple[int, int, OrderStatus, tuple[tuple[str, int, int], ...]], ...] = (
    (1, 123, "paid", (("BOOK-1", 2, 1250),)),
    (2, 123, "pending", (("MUG-7", 1, 899), ("TEA-GREEN", 3, 450))),
    (3, 124, "shipped", (("LAMP-2", 1, 4999),)),
    (4, 125, "cancelled", (("PEN-10", 10, 120),)),
)


def total_cents(items: Iterable[Item]) -> int:
    """The sum of ``quantity * unit_price_cents`` over the items."""
    return sum(item.quantity * item.unit_price_cents for item in items)


def new_order_store() -> RecordStore[Order]:
    """A fresh store holding the seeded orders (user 123 has two); new ids follow them."""
    seed = {}
    for order_id, user_id, status, lines in SEED:
        items = [Item(sku=sku, quantity=q, unit_price_cents=price) for sku, q, price in lines]
        seed[order_id] = Order(
            order_id=order_id,
            user_id=user_id,
            items=items,
            status=status,
            total_cents=total_cents(items),
            created_at=SEEDED_AT,
            updated_at=SEEDED_AT,
        )
    return RecordStore(noun="order", seed=seed)


def change_order(order: Order, changes: Mapping[str, Any]) -> Order:
    """``order`` with ``changes`` applied (total recomputed); 409 if the rules refuse one."""
    status = changes.get("status", order.status)
    if status != order.status and status not in TRANSITIONS[order.status]:
        raise ProblemError(409, detail=f"An order cannot go from {order.status} to {status}.")
    moved = [
        name
        for name in PENDING_ONLY
        if changes.get(name, getattr(order, name)) != getattr(order, name)
    ]
    if moved and order.status != "pending":
        raise ProblemError(
            409,
            detail=f"{' and '.join(moved)} can change only while the order is pending;"
            f" it is {order.status}.",
        )
    if "items" in changes:
        changes = {**changes, "total_cents": total_cents(changes["items"])}
    return with_changes(order, changes)
