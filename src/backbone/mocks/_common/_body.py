"""JSON request bodies: numbers as JSON Schema sees them, explicit nulls, media types.

A route that takes a body declares it with a pydantic model (FastAPI parses and
validates it: 422 for JSON that does not parse or does not validate) and depends on
:func:`require_media_type`, which answers 415 for any other ``Content-Type`` and 400
for a body that is not UTF-8 (RFC 8259 §8.1).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, BeforeValidator, Strict

from backbone.core.problems import ProblemError


def json_number(value: object) -> object:
    """Numbers as JSON Schema sees them: no booleans or strings; ``3.0`` is the integer 3."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = "must be a JSON number"
        raise ValueError(msg)
    return int(value) if isinstance(value, float) and value.is_integer() else value


def refuse_null(value: object) -> object:
    """A before-validator for members that may be absent but never ``null``."""
    if value is None:
        msg = "may be left out, but not null"
        raise ValueError(msg)
    return value


def present_members(model: BaseModel) -> dict[str, Any]:
    """The members a request body actually carried (a merge patch's changes), as validated."""
    return {name: getattr(model, name) for name in model.model_fields_set}


JsonInt = Annotated[int, BeforeValidator(json_number), Strict()]
JsonNumber = Annotated[float, BeforeValidator(json_number)]

Dependency = Callable[[Request], Coroutine[Any, Any, None]]


def require_media_type(*media_types: str) -> Dependency:
    """A dependency: 415 unless the body is one of ``media_types``, 400 unless it is UTF-8.

    The 415 names what would be accepted in ``Accept-<Method>`` (``Accept-Patch``,
    RFC 5789; ``Accept-Post``; ``Accept-Put`` by analogy).
    """
    accepted = ", ".join(media_types)

    async def require(request: Request) -> None:
        content_type = request.headers.get("content-type", "")
        if content_type.split(";", 1)[0].strip().lower() not in media_types:
            raise ProblemError(
                415,
                detail=f"Send the body as {' or '.join(media_types)}.",
                headers={f"Accept-{request.method.title()}": accepted},
            )
        try:
            (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise ProblemError(400, detail="The body is not UTF-8.") from None

    return require


JSON_BODY = require_media_type("application/json")
"""For ``POST`` and ``PUT``: the body is ``application/json``."""

MERGE_PATCH_BODY = require_media_type("application/merge-patch+json", "application/json")
"""For ``PATCH``: a JSON merge patch (RFC 7396), as such or as plain JSON."""
