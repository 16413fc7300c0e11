"""The reverse proxy: a lean ASGI handler for routed paths.

The routed paths skip the framework: FastAPI's routing, validation and middleware stack
cost more CPU per request than the forwarding itself, and none of it applies to a body
the gateway only passes on. The handler does what the shared middleware would (request
id, problem+json errors, metrics) on its own, in one pass:

refuse what must be refused (header sizes, path, method, framing, body size, rate) →
read the body (small: whole; large or chunked: streamed) → send upstream through the
route's ``ResilientClient`` → relay the answer (small: in one piece; large or of
unknown length: streamed, released when the client goes away).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Mapping, Sequence

import httpx
from starlette.types import Receive, Scope, Send

from backbone.core.http import HTTP_METHODS, REQUEST_ID_HEADER, encode_problem, request_id_from
from backbone.core.logging import request_id_var
from backbone.core.ratelimit import RateLimiter, RateLimiterUnavailable, rate_limit_headers
from backbone.gateway.body import BodyError, BodyTooLarge, ClientGone, StreamedBody, read_body
from backbone.gateway.config import GatewaySettings
from backbone.gateway.headers import (
    ClientInfo,
    TrustedProxies,
    client_address,
    request_headers,
    response_headers,
)
from backbone.gateway.metrics import GatewayMetrics
from backbone.gateway.routing import Route
from backbone.gateway.safety import check_header_size, check_path, declared_length
from backbone.gateway.upstream import route_origin
from backbone.resilience import (
    CircuitOpenError,
    ResilientClient,
    RetryExhaustedError,
    redact_urls,
)

__all__ = ["PROBLEM_TYPES", "Proxy", "upstream_failure"]

logger = logging.getLogger(__name__)

_ALLOW = ", ".join(HTTP_METHODS).encode()
_TAG = "tag:backbone,2026:problem/"
PROBLEM_TYPES = {
    "rate-limited": _TAG + "rate-limited",
    "upstream-unreachable": _TAG + "upstream-unreachable",
    "upstream-bad-response": _TAG + "upstream-bad-response",
    "circuit-open": _TAG + "circuit-open",
    "upstream-timeout": _TAG + "upstream-timeout",
}
_NO_BODY_STATUSES = frozenset({204, 304})
_NON_ASCII = re.compile(rb"[\x80-\xff]")
Header = tuple[bytes, bytes]


def upstream_failure(exc: Exception, label: str) -> tuple[int, str, str]:
    """The status, problem type and detail for an upstream call that produced no answer."""
    if isinstance(exc, CircuitOpenError):
        return 503, PROBLEM_TYPES["circuit-open"], f"The {label} service's circuit is open."
    cause = exc.__cause__ if isinstance(exc, RetryExhaustedError) else exc
    if isinstance(cause, httpx.TimeoutException) and not isinstance(cause, httpx.ConnectTimeout):
        return (
            504,
            PROBLEM_TYPES["upstream-timeout"],
            f"The {label} service did not answer in time.",
        )
    if isinstance(cause, httpx.RemoteProtocolError):
        kind, detail = "upstream-bad-response", f"The {label} service's answer was not valid HTTP."
        return 502, PROBLEM_TYPES[kind], detail
    return 502, PROBLEM_TYPES["upstream-unreachable"], f"The {label} service is unreachable."


class _Exchange:
    """One request in flight: its ASGI channels, id, and the status it was answered with."""

    __slots__ = ("receive", "request_id", "scope", "send", "status")

    def __init__(self, scope: Scope, receive: Receive, send: Send, request_id: bytes) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send
        self.request_id = request_id
        self.status = 0
        """The status answered; 0 until the response starts (499: the client left first)."""

    async def problem(
        self,
        status: int,
        detail: str,
        *,
        type_: str = "about:blank",
        headers: Sequence[Header] = (),
        close: bool = False,
    ) -> None:
        """Answer with a problem+json of the gateway's own."""
        own = [(REQUEST_ID_HEADER, self.request_id), *headers]
        if close:
            own.append((b"connection", b"close"))
        body, out = encode_problem(
            status,
            detail=detail,
            instance=self.scope["raw_path"].decode("latin-1"),
            request_id=self.request_id.decode("ascii"),
            type_=type_,
            headers=own,
        )
        self.status = status
        await self.send({"type": "http.response.start", "status": status, "headers": out})
        await self.send({"type": "http.response.body", "body": body})


class Proxy:
    """Forwards requests on the configured routes to their upstreams."""

    def __init__(
        self,
        *,
        settings: GatewaySettings,
        clients: Mapping[str, ResilientClient],
        metrics: GatewayMetrics,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.clients = dict(clients)
        self.metrics = metrics
        self.limiter = limiter
        self.trusted = TrustedProxies(settings.trusted_proxies)
        self.buffer_bytes = max(settings.buffer_body_bytes, 65_536)
        self._timeouts = {
            label: httpx.Timeout(route.timeout, connect=route.connect_timeout).as_dict()
            for label in self.clients
            if (route := settings.route(label)) is not None
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send, route: Route) -> None:
        """Serve one request on ``route``."""
        exchange = _Exchange(scope, receive, send, request_id_from(scope["headers"]))
        token = request_id_var.set(exchange.request_id.decode("ascii"))
        try:
            await self._serve(exchange, route)
        except Exception:
            # The safety net: logged with its traceback, answered without one.
            logger.exception("proxy_error route=%s", route.label)
            if exchange.status == 0:
                await exchange.problem(500, "An unexpected error occurred.")
        finally:
            request_id_var.reset(token)
            self.metrics.request(route.label, scope["method"], exchange.status or 500)

    async def _refuse(self, exchange: _Exchange) -> int | None:
        """Answer what must be refused before reading the body; else the declared length."""
        scope, settings = exchange.scope, self.settings
        headers = scope["headers"]
        refusal = check_header_size(
            headers,
            max_field=settings.max_header_field_bytes,
            max_total=settings.max_header_bytes,
        ) or check_path(scope["raw_path"])
        if refusal is not None:
            await exchange.problem(refusal.status, refusal.detail, close=refusal.status == 431)
            return None
        if scope["method"] not in HTTP_METHODS:
            detail = f"{scope['method']} is not forwarded."
            await exchange.problem(405, detail, headers=[(b"allow", _ALLOW)])
            return None
        length = declared_length(headers)
        if not isinstance(length, int | None):
            await exchange.problem(length.status, length.detail, close=True)
            return None
        if length is not None and length > settings.max_body_bytes:
            detail = f"The request body is larger than {settings.max_body_bytes} bytes."
            await exchange.problem(413, detail, close=True)
            return None
        return -1 if length is None else length

    async def _rate_limited(self, exchange: _Exchange, route: Route) -> bool:
        """Apply the client's rate limit; True when the request was refused (429)."""
        if self.limiter is None:
            return False
        scope = exchange.scope
        client = client_address(_peer(scope), scope["headers"], self.trusted)
        try:
            decision = await self.limiter.acquire(client)
        except RateLimiterUnavailable:
            logger.warning("rate_limiter_unavailable action=allow")
            self.metrics.limiter_errors.inc()
            return False
        if decision.allowed:
            return False
        self.metrics.rate_limited(route.label)
        await exchange.problem(
            429,
            "Too many requests from this client; try again later.",
            type_=PROBLEM_TYPES["rate-limited"],
            headers=rate_limit_headers(decision),
        )
        return True

    async def _serve(self, exchange: _Exchange, route: Route) -> None:
        length = await self._refuse(exchange)
        if length is None or await self._rate_limited(exchange, route):
            return
        settings = self.settings
        content: bytes | StreamedBody
        if 0 <= length <= settings.buffer_body_bytes:
            content = b""
            if length:
                try:
                    content = await read_body(
                        exchange.receive, limit=length, pause=settings.client_body_timeout
                    )
                except BodyError as exc:
                    await self._body_failed(exchange, exc)
                    return
        else:
            limit = settings.max_body_bytes if length < 0 else length
            content = StreamedBody(
                exchange.receive, limit=limit, pause=settings.client_body_timeout
            )
        await self._forward(exchange, route, content)

    async def _body_failed(self, exchange: _Exchange, exc: BodyError) -> None:
        if isinstance(exc, ClientGone):
            exchange.status = 499  # nginx's "client closed request": nobody to answer
            return
        if isinstance(exc, BodyTooLarge):
            await exchange.problem(413, str(exc).capitalize() + ".", close=True)
            return
        await exchange.problem(408, "The client sent its body too slowly.", close=True)

    def _upstream_request(
        self, exchange: _Exchange, route: Route, content: bytes | StreamedBody
    ) -> httpx.Request:
        scope = exchange.scope
        target = scope["raw_path"]
        if query := scope["query_string"]:
            target += b"?" + query
        if not target.isascii():  # raw UTF-8 is not a valid target: encode it, as httpx does
            target = _NON_ASCII.sub(lambda match: b"%%%02X" % match[0][0], target)
        peer = _peer(scope)
        client = ClientInfo(address=peer, scheme=scope["scheme"], trusted=peer in self.trusted)
        return httpx.Request(
            scope["method"],
            route_origin(route.label) + target.decode("latin-1"),
            headers=request_headers(scope["headers"], client, exchange.request_id),
            content=content,
            # "target": the raw path and query go out byte for byte (httpx.URL quotes some).
            extensions={"timeout": self._timeouts[route.label], "target": target},
        )

    async def _forward(
        self, exchange: _Exchange, route: Route, content: bytes | StreamedBody
    ) -> None:
        request = self._upstream_request(exchange, route, content)
        started = time.perf_counter()
        try:
            response = await self.clients[route.label].send(request, stream=True)
        except (CircuitOpenError, RetryExhaustedError) as exc:
            if isinstance(content, StreamedBody) and content.error is not None:
                await self._body_failed(exchange, content.error)
                return
            await self._upstream_failed(exchange, route, exc)
            return
        self.metrics.upstream(route.label, time.perf_counter() - started)
        try:
            # Watching for a disconnect reads the request channel: only once the body is in.
            watch = not isinstance(content, StreamedBody) or content.done
            await self._relay(exchange, response, route, watch=watch)
        finally:
            await response.aclose()

    async def _upstream_failed(self, exchange: _Exchange, route: Route, exc: Exception) -> None:
        status, type_, detail = upstream_failure(exc, route.label)
        headers: list[Header] = []
        if isinstance(exc, CircuitOpenError):
            headers.append((b"retry-after", str(max(1, math.ceil(exc.retry_in))).encode()))
        # An error's text may carry the upstream URL: the client's query, credentials and all.
        error = redact_urls(str(exc))
        logger.warning("upstream_failed route=%s status=%s error=%s", route.label, status, error)
        await exchange.problem(status, detail, type_=type_, headers=headers)

    async def _relay(
        self, exchange: _Exchange, response: httpx.Response, route: Route, *, watch: bool
    ) -> None:
        """Send the upstream's answer: in one piece when small, else streamed."""
        headers = response_headers(response.headers.raw, exchange.request_id)
        length = response.headers.get("content-length")
        small = (
            exchange.scope["method"] == "HEAD"
            or response.status_code in _NO_BODY_STATUSES
            or (length is not None and length.isdigit() and int(length) <= self.buffer_bytes)
        )
        if small:
            try:
                body = b"".join([chunk async for chunk in response.aiter_raw()])
            except httpx.TransportError as exc:
                await self._upstream_failed(exchange, route, exc)
                return
            exchange.status = response.status_code
            start = {"type": "http.response.start", "status": exchange.status, "headers": headers}
            await exchange.send(start)
            await exchange.send({"type": "http.response.body", "body": body})
            return
        exchange.status = response.status_code
        await _stream(exchange, response, headers, watch=watch)


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


async def _stream(
    exchange: _Exchange, response: httpx.Response, headers: list[Header], *, watch: bool
) -> None:
    """Relay a large body chunk by chunk; stop (and release upstream) if the client leaves."""
    send = exchange.send
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})

    async def pump() -> None:
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def disconnect() -> None:
        # The body is in, so the channel has nothing left to say but "disconnected"
        # (uvicorn says it too once the response is complete).
        while (await exchange.receive())["type"] != "http.disconnect":
            pass

    pumping = asyncio.ensure_future(pump())
    watching = asyncio.ensure_future(disconnect()) if watch else None
    waiting = (pumping,) if watching is None else (pumping, watching)
    try:
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if watching is not None:
            watching.cancel()
        pumping.cancel()  # a no-op when it has finished
    if pumping.cancelled():
        exchange.status = 499  # the client left: nobody to answer
        logger.info("client_disconnected_mid_response")
        return
    if isinstance(error := pumping.exception(), httpx.TransportError):
        # The status line is gone: all that is left is to cut the response short.
        logger.warning("upstream_failed_mid_response error=%s", redact_urls(repr(error)))
        return
    if error is not None:
        raise error
