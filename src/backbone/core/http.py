"""HTTP rules every layer shares, on plain values.

The FastAPI services, uvicorn's protocol (:mod:`backbone.core.server`) and the
gateway's raw ASGI handler each answer on their own path; the rules they answer by
live here once, free of any framework, so the gateway's hot path can use them cheaply.

- :data:`HTTP_METHODS`: the methods services route, count by name and list in ``Allow``.
- :func:`request_id_from`: keep a valid incoming ``X-Request-ID``
  (``[A-Za-z0-9._:-]{1,128}``), else make one (:func:`new_request_id`).
- :func:`encode_problem`: an RFC 9457 ``application/problem+json`` body as bytes, with
  its headers as ASGI wants them. Every problem a service, the server layer or the
  gateway answers with is built by it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, TypedDict, Unpack

__all__ = [
    "HTTP_METHODS",
    "PROBLEM_MEDIA_TYPE",
    "REQUEST_ID_HEADER",
    "Header",
    "ProblemMembers",
    "encode_problem",
    "new_request_id",
    "request_id_from",
    "status_phrase",
]

Header = tuple[bytes, bytes]

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""In the order an ``Allow`` header lists them; anything else is counted as ``OTHER``."""

REQUEST_ID_HEADER = b"x-request-id"
# Bytes: servers hand the headers over as bytes, and a kept id goes back out as is.
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def new_request_id() -> str:
    """A fresh request id (uuid4, hex)."""
    return uuid.uuid4().hex


def request_id_from(headers: Iterable[Header], *, name: bytes = REQUEST_ID_HEADER) -> bytes:
    """The first ``name`` header's value if it is a valid request id, else a new id.

    ``headers`` as ASGI gives them (lower-case names); a kept value is returned itself.
    """
    for key, value in headers:
        if key == name:
            return value if _REQUEST_ID.fullmatch(value) else new_request_id().encode("ascii")
    return new_request_id().encode("ascii")


PROBLEM_MEDIA_TYPE = "application/problem+json"
_PROBLEM_CONTENT_TYPE = (b"content-type", PROBLEM_MEDIA_TYPE.encode("ascii"))


def status_phrase(status: int) -> str:
    """The reason phrase of ``status`` (``"Error"`` for a code Python does not know)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemMembers(TypedDict, total=False):
    """A problem's members besides ``status``; ``title`` defaults to the status phrase."""

    title: str | None
    detail: str | None
    instance: str | None
    request_id: str | None
    type_: str
    extra: Mapping[str, Any] | None
    """Members of the problem's own type, after the standard ones."""


_OPTIONAL_MEMBERS = ("detail", "instance", "request_id")


def encode_problem(
    status: int, *, headers: Iterable[Header] = (), **members: Unpack[ProblemMembers]
) -> tuple[bytes, list[Header]]:
    """The problem+json body and its headers: content-type, content-length, then ``headers``.

    Absent optional members are left out.
    """
    body: dict[str, Any] = {
        "type": members.get("type_", "about:blank"),
        "title": members.get("title") or status_phrase(status),
        "status": status,
    }
    for name in _OPTIONAL_MEMBERS:
        if (value := members.get(name)) is not None:
            body[name] = value
    if extra := members.get("extra"):
        body.update(extra)
    # Compact UTF-8, as Starlette's JSONResponse renders: the services' bodies stay as they were.
    encoded = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    data = encoded.encode("utf-8")
    return data, [_PROBLEM_CONTENT_TYPE, (b"content-length", b"%d" % len(data)), *headers]
