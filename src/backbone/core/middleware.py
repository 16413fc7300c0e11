"""Pure ASGI middleware shared by every service (no ``BaseHTTPMiddleware``: it buffers
and breaks streaming).

- :class:`RequestIdMiddleware`: keeps a valid incoming ``X-Request-ID`` or makes one,
  exposes it to logs (a contextvar) and to handlers (``scope["state"]``), and returns it
  on every response.
- :class:`BodySizeLimitMiddleware`: 413 problem+json for bodies over the limit, whether
  declared by ``Content-Length`` or discovered while a chunked body is read.
- :class:`UnhandledErrorMiddleware`: the innermost safety net; an exception that escaped
  every handler becomes a logged 500 problem+json, and the process keeps serving.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backbone.core.http import request_id_from
from backbone.core.logging import request_id_var
from backbone.core.problems import REQUEST_ID_STATE_KEY, problem_response

logger = logging.getLogger(__name__)


def _path(scope: Scope) -> str:
    return str(scope.get("root_path", "")) + str(scope.get("path", ""))


class RequestIdMiddleware:
    """Gives every HTTP request an id, in its logs and in its response headers."""

    def __init__(self, app: ASGIApp, *, header: str = "X-Request-ID") -> None:
        self.app = app
        self.header = header
        self._raw_header = header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope["headers"], name=self._raw_header).decode("ascii")
        scope.setdefault("state", {})[REQUEST_ID_STATE_KEY] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[self.header] = request_id
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class RequestBodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit (handled as 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"The request body is larger than {limit} bytes.")


class BodySizeLimitMiddleware:
    """Refuses request bodies larger than ``max_body_bytes`` with 413 problem+json
    (``path_limits`` gives some paths, e.g. an upload's, a limit of their own)."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.max_body_bytes)
        if self._declared_length(scope) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestBodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watching_send)
        except RequestBodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send, limit)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        value = Headers(scope=scope).get("content-length")
        if value is None or not value.strip().isdigit():
            return 0
        return int(value)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        logger.info("request_body_too_large path=%s limit=%d", _path(scope), limit)
        response = problem_response(
            413,
            detail=f"The request body is larger than {limit} bytes.",
            instance=_path(scope),
            request_id=request_id_var.get(),
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


class UnhandledErrorMiddleware:
    """Turns an exception no handler took into a logged 500 problem+json."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception as exc:
            logger.exception(
                "unhandled_exception method=%s path=%s error=%s",
                scope.get("method"),
                _path(scope),
                type(exc).__name__,
            )
            if started:
                raise
            response = problem_response(
                500,
                detail="An unexpected error occurred.",
                instance=_path(scope),
                request_id=request_id_var.get(),
            )
            await response(scope, receive, send)
