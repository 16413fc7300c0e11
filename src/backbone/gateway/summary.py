"""``GET /users/{user_id}/summary``: a user and their orders, fetched at the same time.

The aggregation example: two upstream calls in flight together (``asyncio``), each
through its route's ``ResilientClient`` (timeout, retries, circuit breaker), and a
partial failure said out loud instead of hidden: when the orders call fails, the user
is still returned with ``orders: null``, ``partial: true`` and the reason in
``errors``; when the user call fails, the whole request fails and the orders call is
cancelled.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from backbone.core.problems import current_request_id, problem_for_request, problem_responses
from backbone.gateway.proxy import PROBLEM_TYPES, upstream_failure
from backbone.gateway.upstream import route_origin
from backbone.resilience import CircuitOpenError, ResilientClient, RetryExhaustedError

__all__ = ["SourceError", "UserSummary", "router"]

router = APIRouter(tags=["aggregation"])


class SourceError(BaseModel):
    """Why one of the summary's upstream calls failed."""

    source: str
    status: int
    type: str | None = None
    detail: str


class UserSummary(BaseModel):
    """The user, and their first page of orders unless that call failed."""

    model_config = ConfigDict(extra="forbid")

    user: dict[str, Any]
    orders: dict[str, Any] | None
    partial: bool
    errors: list[SourceError] = Field(max_length=1)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """An upstream call's JSON body on success, else the error and any Retry-After."""

    body: dict[str, Any] | None
    status: int
    """The upstream's status, or the gateway's (502/503/504) when it gave no answer."""
    answered: bool
    error: SourceError | None = None
    retry_after: int | None = None


async def _fetch(
    client: ResilientClient, source: str, url: str, request_id: str, expect: str
) -> _Outcome:
    """GET ``url`` and keep the JSON object when it has the member ``expect``."""
    try:
        response = await client.get(url, headers={"X-Request-ID": request_id})
    except (CircuitOpenError, RetryExhaustedError) as exc:
        status, type_, detail = upstream_failure(exc, source)
        retry = math.ceil(exc.retry_in) if isinstance(exc, CircuitOpenError) else None
        error = SourceError(source=source, status=status, type=type_, detail=detail)
        retry_after = None if retry is None else max(1, retry)
        return _Outcome(None, status, answered=False, error=error, retry_after=retry_after)
    body = _json_object(response)
    if response.status_code == 200 and body is not None and expect in body:
        return _Outcome(body, 200, answered=True)
    problem_type = body.get("type") if isinstance(body, dict) else None
    detail = f"The {source} call answered {response.status_code}"
    detail += "." if response.status_code != 200 else " with an unexpected body."
    error = SourceError(
        source=source,
        status=response.status_code,
        type=problem_type if isinstance(problem_type, str) else None,
        detail=detail,
    )
    return _Outcome(None, response.status_code, answered=True, error=error)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _failed_user(request: Request, user: _Outcome, orders: _Outcome | None) -> Response:
    """404 for an unknown user; else 502 (503, 504 when no answer came), every error listed."""
    assert user.error is not None  # noqa: S101 - called for a failed user call only
    if user.answered and user.status == 404:
        return problem_for_request(request, 404, detail="No user has this id.")
    status, type_ = user.status, user.error.type or "about:blank"
    if user.answered:
        status, type_ = 502, PROBLEM_TYPES["upstream-bad-response"]
    errors = [user.error] + ([orders.error] if orders and orders.error else [])
    headers = {"Retry-After": str(user.retry_after)} if user.retry_after is not None else {}
    return problem_for_request(
        request,
        status,
        detail=user.error.detail,
        type_=type_,
        headers=headers,
        extra={"errors": [error.model_dump(exclude_none=True) for error in errors]},
    )


@router.get(
    "/users/{user_id}/summary",
    operation_id="getUserSummary",
    summary="A user and their orders, fetched concurrently, with partial failure made explicit.",
    response_model=UserSummary,
    responses={
        200: {"description": "The user, and their orders unless that part failed (`partial`)."},
        **problem_responses([404, 422, 429, 431, 502, 503, 504]),
    },
)
async def user_summary(
    request: Request,
    user_id: Annotated[int, Path(ge=1, le=2_147_483_647, description="The user's id.")],
    orders_limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> UserSummary | Response:
    """Fetch ``/users/{id}`` and ``/orders?user_id={id}`` at once; see the module docstring."""
    clients: dict[str, ResilientClient] = request.app.state.clients
    request_id = current_request_id(request.scope) or ""
    user_call = asyncio.ensure_future(
        _fetch(
            clients["users"],
            "user",
            route_origin("users") + f"/users/{user_id}",
            request_id,
            "user_id",
        )
    )
    orders_url = route_origin("orders") + f"/orders?user_id={user_id}&limit={orders_limit}"
    orders_call = asyncio.ensure_future(
        _fetch(clients["orders"], "orders", orders_url, request_id, "items")
    )
    try:
        user = await user_call
    finally:
        if not user_call.done() or user_call.cancelled() or user_call.result().error:
            orders_call.cancel()
    if user.error is not None:
        orders = (
            orders_call.result() if orders_call.done() and not orders_call.cancelled() else None
        )
        return _failed_user(request, user, orders)
    orders = await orders_call
    return UserSummary(
        user=user.body or {},
        orders=orders.body,
        partial=orders.error is not None,
        errors=[orders.error] if orders.error else [],
    )
