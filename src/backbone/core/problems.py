"""RFC 9457 problem details (``application/problem+json``) for every error a service returns.

:func:`install_problem_handlers` maps every kind of failure to one shape:

- :class:`ProblemError`, raised by service code, with its own status, title, headers;
- Starlette / FastAPI ``HTTPException`` (routing 404 and 405 included, headers kept);
- ``RequestValidationError`` → 422 with an ``errors`` list of ``{loc, msg, type}``
  (bounded; the offending input is never echoed back);
- anything else → 500 with a generic detail; the traceback goes to the server log only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Unpack

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from backbone.core.http import HTTP_METHODS, Header, ProblemMembers, encode_problem
from backbone.core.http import PROBLEM_MEDIA_TYPE as PROBLEM_MEDIA_TYPE  # re-exported
from backbone.core.http import status_phrase as status_phrase  # re-exported
from backbone.core.logging import request_id_var

logger = logging.getLogger(__name__)

REQUEST_ID_STATE_KEY = "request_id"
MAX_REPORTED_ERRORS = 20
MAX_MESSAGE_CHARS = 200


class Problem(BaseModel):
    """The problem details object (RFC 9457), as documented in every contract."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None


class ProblemResponse(Response):
    """An ``application/problem+json`` response: body and headers from ``encode_problem``."""

    media_type = PROBLEM_MEDIA_TYPE

    def __init__(self, status: int, body: bytes, raw_headers: list[Header]) -> None:
        super().__init__(body, status_code=status)
        self.raw_headers = raw_headers


class ProblemError(Exception):
    """Raise from service code to answer with a problem+json of this status."""

    def __init__(
        self,
        status: int,
        *,
        title: str | None = None,
        detail: str | None = None,
        type_: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.extra = dict(extra or {})
        """Extension members of the problem (e.g. ``pointer``: where in the input it failed)."""
        self.title = title or status_phrase(status)
        self.detail = detail
        self.type = type_
        self.headers = dict(headers or {})
        super().__init__(f"{self.status} {self.title}: {detail or ''}".rstrip(": "))


def current_request_id(scope: Mapping[str, Any] | None = None) -> str | None:
    """The request id of the request being served, from the log context or the scope."""
    if request_id := request_id_var.get():
        return request_id
    state = scope.get("state") if scope is not None else None
    value = state.get(REQUEST_ID_STATE_KEY) if isinstance(state, Mapping) else None
    return value if isinstance(value, str) else None


def problem_response(
    status: int,
    *,
    headers: Mapping[str, str] | None = None,
    **members: Unpack[ProblemMembers],
) -> ProblemResponse:
    """Build the problem+json response; absent optional members are left out."""
    # Header names lower-cased and latin-1, as Starlette encodes a Response's headers.
    raw = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in (headers or {}).items()
    ]
    body, raw_headers = encode_problem(status, headers=raw, **members)
    return ProblemResponse(status, body, raw_headers)


def problem_for_request(request: Request, status: int, **kwargs: Any) -> ProblemResponse:
    """:func:`problem_response` with ``instance`` and ``request_id`` taken from ``request``."""
    return problem_response(
        status,
        instance=request.url.path,
        request_id=current_request_id(request.scope),
        **kwargs,
    )


def validation_errors(errors: Iterable[Any]) -> list[dict[str, Any]]:
    """``{loc, msg, type}`` for at most :data:`MAX_REPORTED_ERRORS` errors, never the input."""
    reported: list[dict[str, Any]] = []
    for error in errors:
        if len(reported) == MAX_REPORTED_ERRORS:
            break
        loc = [
            part if isinstance(part, int) else str(part)[:MAX_MESSAGE_CHARS]
            for part in error.get("loc", ())
        ]
        message = str(error.get("msg", ""))[:MAX_MESSAGE_CHARS]
        reported.append({"loc": loc, "msg": message, "type": str(error.get("type", ""))})
    return reported


async def _problem_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)  # noqa: S101 - registered for ProblemError only
    return problem_for_request(
        request,
        exc.status,
        title=exc.title,
        detail=exc.detail,
        type_=exc.type,
        headers=exc.headers,
        extra=exc.extra or None,
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route fully serves at this request's path (``Allow`` on 405)."""
    allowed = []
    for method in HTTP_METHODS:
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
    headers = dict(exc.headers or {})
    if exc.status_code < 400:
        return Response(status_code=exc.status_code, headers=headers)
    if exc.status_code == 405 and (methods := allowed_methods(request)):
        # Routing names only the first route that matched the path; list them all.
        headers["Allow"] = ", ".join(methods)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_for_request(request, exc.status_code, detail=detail, headers=headers)


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    errors = validation_errors(exc.errors())
    return problem_for_request(
        request,
        422,
        detail="The request did not validate.",
        extra={"errors": errors},
    )


async def unhandled_exception_handler(request: Request, exc: Exception) -> Response:
    """500 problem+json with a generic detail; the traceback is logged, never returned."""
    logger.error(
        "unhandled_exception method=%s path=%s error=%s",
        request.method,
        request.url.path,
        type(exc).__name__,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"request_id": current_request_id(request.scope) or "-"},
    )
    return problem_for_request(request, 500, detail="An unexpected error occurred.")


def install_problem_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers for every error kind on ``app``."""
    app.add_exception_handler(ProblemError, _problem_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(Exception, unhandled_exception_handler)


def problem_responses(
    statuses: Sequence[int], *, description: str = "An error, as RFC 9457 problem details."
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries declaring problem+json bodies for ``statuses``."""
    schema = Problem.model_json_schema()
    content = {PROBLEM_MEDIA_TYPE: {"schema": schema}}
    return {status: {"description": description, "content": content} for status in statuses}
