"""Fixtures for backbone.core: a small service built with create_service_app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from backbone.core import CoreSettings, ProblemError, create_service_app

BODY_LIMIT = 64


class Item(BaseModel):
    """A body with one constrained field."""

    name: str
    count: int


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @router.post("/items")
    async def create_item(item: Item) -> Item:
        return item

    @router.post("/echo-size")
    async def echo_size(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret-internal-detail")

    @router.get("/teapot")
    async def teapot() -> None:
        raise ProblemError(429, detail="slow down", headers={"Retry-After": "7"})

    @router.get("/pointed")
    async def pointed() -> None:
        raise ProblemError(422, detail="bad cell", extra={"pointer": "line 7"})

    return router


@pytest.fixture
def settings() -> CoreSettings:
    """Core settings that ignore any .env file, with a tiny body limit."""
    return CoreSettings(_env_file=None, max_body_bytes=BODY_LIMIT)  # type: ignore[call-arg]


@pytest.fixture
def app(settings: CoreSettings) -> FastAPI:
    """A service app with a few routes that succeed and fail in every way."""
    service = create_service_app(title="test", version="0", settings=settings)
    service.include_router(_router())
    return service


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of ``app`` (app exceptions become responses, as on a server)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
