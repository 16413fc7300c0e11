"""create_service_app wires everything and runs the service's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

import backbone.core
from backbone.core import CoreSettings, create_service_app


def _settings() -> CoreSettings:
    return CoreSettings(_env_file=None)  # type: ignore[call-arg]


async def test_lifespan_opens_and_closes() -> None:
    """The service lifespan runs at startup and shutdown (where it closes its clients)."""
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("open")
        yield
        events.append("close")

    app = create_service_app(title="t", version="1", settings=_settings(), lifespan=lifespan)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/healthz")).status_code == 200
        assert events == ["open"]
    assert events == ["open", "close"]


async def test_readiness_checks_given_at_creation() -> None:
    """Checks passed to create_service_app are run by /readyz."""

    async def ok() -> None:
        return None

    app = create_service_app(
        title="t", version="1", settings=_settings(), readiness_checks={"thing": ok}
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/readyz")).json()["checks"] == {"thing": "ok"}


def test_openapi_has_operations_and_tags() -> None:
    """The generated OpenAPI documents the shared operations with their ids and tags."""
    app = create_service_app(
        title="t", version="1", settings=_settings(), openapi_tags=[{"name": "operations"}]
    )
    document = app.openapi()
    assert document["tags"] == [{"name": "operations"}]
    ids = {path: item["get"]["operationId"] for path, item in document["paths"].items()}
    assert ids == {"/healthz": "healthz", "/readyz": "readyz", "/metrics": "metrics"}
    assert set(document["paths"]["/readyz"]["get"]["responses"]) == {"200", "503"}


def test_public_api() -> None:
    """backbone.core exports a sorted (isort-style) __all__ of names that exist."""
    names = backbone.core.__all__

    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert names == sorted(names, key=kind)
    assert all(hasattr(backbone.core, name) for name in names)
