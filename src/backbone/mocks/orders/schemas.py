"""Request and response bodies of contracts/openapi/orders.yaml.

Amounts are integers in cents; ``total_cents`` is always computed, never accepted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from backbone.mocks._common import JsonInt, Page, refuse_null

MAX_ID = 2_147_483_647

OrderStatus = Literal["pending", "paid", "shipped", "cancelled"]
UserId = Annotated[JsonInt, Field(ge=1, le=MAX_ID, description="Not checked to exist.")]
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{0,31}$", strict=True)]


class Item(BaseModel):
    """One order line (the same SKU may appear on several lines)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Sku
    quantity: JsonInt = Field(ge=1, le=1000)
    unit_price_cents: JsonInt = Field(ge=0, le=10_000_000)


Items = Annotated[list[Item], Field(min_length=1, max_length=50)]


class OrderCreate(BaseModel):
    """``POST /orders``: a new order is ``pending``."""

    model_config = ConfigDict(extra="forbid")

    user_id: UserId
    items: Items


class OrderReplace(OrderCreate):
    """``PUT /orders/{order_id}``: every writable field."""

    status: OrderStatus


class OrderPatch(BaseModel):
    """A JSON merge patch (RFC 7396): members present are set; none can be null."""

    model_config = ConfigDict(extra="forbid")

    user_id: UserId | None = None
    items: Items | None = None
    status: OrderStatus | None = None

    _not_null = field_validator("user_id", "items", "status", mode="before")(refuse_null)


class Order(BaseModel):
    """An order as stored and served."""

    order_id: int = Field(ge=1, le=MAX_ID)
    user_id: int = Field(ge=1, le=MAX_ID)
    items: list[Item]
    status: OrderStatus
    total_cents: int = Field(ge=0, description="Sum of quantity * unit_price_cents.")
    currency: Literal["USD"] = "USD"
    created_at: datetime
    updated_at: datetime


OrderPage = Page[Order]
