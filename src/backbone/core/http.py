"""HTTP rules every layer shares, on plain values.

The FastAPI services, uvicorn's protocol (:mod:`backbone.core.server`) and the
gateway's raw ASGI handler each answer on their own path; the rules they answer by
live here once, free of any framework, so the gateway's hot path can use them cheaply.

- :data:`HTTP_METHODS`: the methods services route, count by name and list in ``Allow``.
- :func:`request_id_from`: keep a valid incoming ``X-Request-ID``
  (``[A-Za-z0-9._:-]{1,128}``), else make one (:func:`new_request_id`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

__all__ = ["HTTP_METHODS", "REQUEST_ID_HEADER", "new_request_id", "request_id_from"]

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""In the order an ``Allow`` header lists them; anything else is counted as ``OTHER``."""

REQUEST_ID_HEADER = b"x-request-id"
# Bytes: servers hand the headers over as bytes, and a kept id goes back out as is.
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def new_request_id() -> str:
    """A fresh request id (uuid4, hex)."""
    return uuid.uuid4().hex


def request_id_from(
    headers: Iterable[tuple[bytes, bytes]], name: bytes = REQUEST_ID_HEADER
) -> bytes:
    """The first ``name`` header's value if it is a valid request id, else a new id.

    ``headers`` as ASGI gives them (lower-case names); a kept value is returned itself.
    """
    for key, value in headers:
        if key == name:
            return value if _REQUEST_ID.fullmatch(value) else uuid.uuid4().hex.encode()
    return uuid.uuid4().hex.encode()
