"""``/healthz`` (the process serves) and ``/readyz`` (every dependency answers).

A readiness check is an async callable taking no argument that raises when its
dependency is not usable (see :func:`backbone.core.db.check_database`,
:func:`backbone.core.redis.check_redis`). Checks run concurrently, each within
:data:`CHECK_TIMEOUT_SECONDS`; the first failing ones are named in a 503 problem+json.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel
from starlette.responses import Response

from backbone.core.problems import problem_for_request, problem_responses

logger = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[object]]
CHECK_TIMEOUT_SECONDS = 2.0


class Health(BaseModel):
    """The body of a healthy ``/healthz`` or ``/readyz`` answer."""

    status: Literal["ok"] = "ok"
    checks: dict[str, str] | None = None


def add_readiness_report(app: FastAPI, name: str, report: Callable[[], str]) -> None:
    """Show ``report()`` under ``name`` in ``/readyz``'s checks, without failing on it."""
    reports: dict[str, Callable[[], str]] = app.state.readiness_reports
    reports[name] = report


def add_readiness_check(app: FastAPI, name: str, check: ReadinessCheck) -> None:
    """Register ``check`` under ``name``; ``/readyz`` runs it on every call."""
    checks: dict[str, ReadinessCheck] = app.state.readiness_checks
    checks[name] = check


async def _run_check(name: str, check: ReadinessCheck, seconds: float) -> str:
    try:
        async with asyncio.timeout(seconds):
            await check()
    except Exception as exc:
        logger.warning("readiness_check_failed check=%s error=%r", name, exc)
        return f"failed ({type(exc).__name__})"
    return "ok"


async def run_checks(
    checks: Mapping[str, ReadinessCheck], *, seconds: float = CHECK_TIMEOUT_SECONDS
) -> dict[str, str]:
    """Run every check concurrently; each result is ``"ok"`` or ``"failed (Error)"``."""
    names = list(checks)
    results = await asyncio.gather(*(_run_check(n, checks[n], seconds) for n in names))
    return dict(zip(names, results, strict=True))


def health_router() -> APIRouter:
    """The ``/healthz`` and ``/readyz`` routes (checks come from ``app.state``)."""
    router = APIRouter(tags=["operations"])

    @router.get(
        "/healthz",
        operation_id="healthz",
        summary="Liveness — the process is serving.",
        response_model=Health,
        response_model_exclude_none=True,
        responses={200: {"description": "Alive."}},
    )
    async def healthz() -> Health:
        return Health()

    @router.get(
        "/readyz",
        operation_id="readyz",
        summary="Readiness — every dependency answers.",
        response_model=Health,
        responses={
            200: {"description": "Ready."},
            **problem_responses([503], description="A dependency is not reachable."),
        },
    )
    async def readyz(request: Request) -> Health | Response:
        results = await run_checks(request.app.state.readiness_checks)
        failed = sorted(name for name, result in results.items() if result != "ok")
        if failed:
            return problem_for_request(
                request,
                503,
                detail=f"Not ready: {', '.join(failed)} failed.",
                extra={"checks": results},
            )
        # Reports say how something is without being a readiness condition.
        reports: Mapping[str, Callable[[], str]] = request.app.state.readiness_reports
        return Health(checks={**results, **{name: report() for name, report in reports.items()}})

    return router
