"""Dependency aliases of the Order Service (tests override them through the app)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from backbone.mocks._common import RecordStore
from backbone.mocks.orders.schemas import Order


async def get_store(request: Request) -> RecordStore[Order]:
    """The app's order store."""
    store: RecordStore[Order] = request.app.state.store
    return store


StoreDep = Annotated[RecordStore[Order], Depends(get_store)]
