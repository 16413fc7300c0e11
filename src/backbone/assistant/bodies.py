"""Request bodies read by hand, so that each failure gets the contract's status.

FastAPI would answer 422 for all of them; the contract says: a body of the wrong media
type is 415 (with ``Accept-Post``), one that does not decode (not UTF-8, not JSON) is
400, one that does not validate (unknown members included) is 422. Use them as
dependencies::

    RegistrationDep = Annotated[Registration, Depends(json_body(Registration))]

and declare the body in the route's ``openapi_extra`` (:func:`json_request_body`),
since FastAPI no longer sees it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from backbone.core.problems import ProblemError

__all__ = ["FORM", "JSON", "form_body", "json_body", "optional_json_body", "request_body"]

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

M = TypeVar("M", bound=BaseModel)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _invalid(exc: ValidationError) -> RequestValidationError:
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    return RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in errors])


async def _text(request: Request, media_type: str) -> str:
    if _media_type(request) != media_type:
        raise ProblemError(
            415, detail=f"Send the body as {media_type}.", headers={"Accept-Post": media_type}
        )
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ProblemError(400, detail="The body is not UTF-8.") from None


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency reading the request's JSON body as ``model``."""

    async def read_json(request: Request) -> M:
        text = await _text(request, JSON)
        try:
            json.loads(text)
        except ValueError:
            raise ProblemError(400, detail="The body is not valid JSON.") from None
        try:
            # pydantic's own parser: it refuses lone surrogates ("\ud800"), which no
            # password hash or PostgreSQL text column could take.
            return model.model_validate_json(text)
        except ValidationError as exc:
            raise _invalid(exc) from None

    return read_json


def optional_json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """Like :func:`json_body`, for an optional body: none (zero bytes) is ``model()``."""
    read = json_body(model)

    async def read_optional(request: Request) -> M:
        if not await request.body():
            return model()
        return await read(request)

    return read_optional


def form_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency reading the request's URL-encoded form as ``model`` (last value wins)."""

    async def read_form(request: Request) -> M:
        text = await _text(request, FORM)
        try:
            fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
        except ValueError:
            raise ProblemError(400, detail="The body is not a URL-encoded form.") from None
        try:
            return model.model_validate(fields)
        except ValidationError as exc:
            raise _invalid(exc) from None

    return read_form


def request_body(
    model: type[BaseModel], media_type: str = JSON, *, required: bool = True
) -> dict[str, Any]:
    """``openapi_extra`` declaring a ``model`` body of ``media_type`` (required unless told)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {"requestBody": {"required": required, "content": {media_type: {"schema": schema}}}}
