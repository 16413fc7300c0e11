"""/healthz answers while the process serves; /readyz runs every readiness check."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from backbone.core import PROBLEM_MEDIA_TYPE, add_readiness_check
from backbone.core.health import run_checks


async def _ok() -> None:
    return None


async def _broken() -> None:
    raise ConnectionRefusedError("db down at 10.0.0.1")


async def _hangs() -> None:
    await asyncio.Event().wait()


async def test_healthz(client: httpx.AsyncClient) -> None:
    """/healthz is 200 {"status": "ok"}."""
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_without_checks(client: httpx.AsyncClient) -> None:
    """With nothing to check, /readyz is ready."""
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}


async def test_readyz_all_checks_pass(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Every passing check is reported "ok"."""
    add_readiness_check(app, "database", _ok)
    add_readiness_check(app, "redis", _ok)
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


async def test_readyz_failing_check_is_503(app: FastAPI, client: httpx.AsyncClient) -> None:
    """A failing check makes /readyz a 503 problem naming it, without the error's text."""
    add_readiness_check(app, "database", _broken)
    add_readiness_check(app, "redis", _ok)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert "database" in body["detail"]
    assert body["checks"] == {"database": "failed (ConnectionRefusedError)", "redis": "ok"}
    assert "10.0.0.1" not in response.text


async def test_hanging_check_times_out() -> None:
    """A check that never answers fails after the timeout instead of hanging /readyz."""
    results = await run_checks({"slow": _hangs, "fine": _ok}, seconds=0.01)
    assert results == {"slow": "failed (TimeoutError)", "fine": "ok"}
