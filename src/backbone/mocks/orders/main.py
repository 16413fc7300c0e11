"""The Order Service's app factory: ``uvicorn --factory backbone.mocks.orders:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from backbone.mocks._common import build_mock_app
from backbone.mocks.orders.config import OrdersSettings, get_settings
from backbone.mocks.orders.routes import router
from backbone.mocks.orders.store import new_order_store

DESCRIPTION = (
    "A small but real order store, filtered by user and status. See contracts/openapi/orders.yaml."
)
TAGS = [{"name": "orders"}, {"name": "operations"}]


def create_app(settings: OrdersSettings | None = None) -> FastAPI:
    """A fresh Order Service with its own seeded store (settings from the environment)."""
    return build_mock_app(
        title="backbone Order Service (mock)",
        description=DESCRIPTION,
        tags=TAGS,
        settings=settings or get_settings(),
        store=new_order_store(),
        router=router,
    )
