"""An ``httpx`` transport on aiohttp's connection pool, built for a reverse proxy.

httpx keeps its API (``httpx.AsyncClient``, ``Request``, ``Response``, its exceptions);
aiohttp does the I/O, because httpx's own pool costs several times more CPU per request
(encode/httpx#3215). ``httpx-aiohttp`` exists, but a proxy needs what it does not give:

- the request target byte for byte (yarl would re-quote the path and the query, and
  ``httpx.URL`` quotes some characters: the ``target`` extension bypasses it);
- nothing added: no ``User-Agent``, ``Accept`` or ``Accept-Encoding`` the client did
  not send, no cookie jar, no proxy from the environment, no redirect followed, no
  decompression;
- the response's repeated header fields (``Set-Cookie``) kept as separate lines;
- failures mapped to the httpx exception that says what happened: a refused
  connection is ``ConnectError``, not ``ConnectTimeout`` (httpx-aiohttp 0.2.0), so a
  gateway can tell 502 from 504.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

__all__ = ["AiohttpTransport"]

_SKIP_AUTO_HEADERS = frozenset({"User-Agent", "Accept", "Accept-Encoding"})
# aiohttp frames the body itself: it must not be told how in a header.
_FRAMING = b"transfer-encoding"
_HTTP_11 = {"http_version": b"HTTP/1.1"}
_CHUNK = 64 * 1024


def _map_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception for an aiohttp failure (most specific class first)."""
    message = str(exc) or exc.__class__.__name__
    mapped: type[httpx.TransportError]
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        mapped = httpx.ConnectTimeout
    elif isinstance(exc, aiohttp.SocketTimeoutError | asyncio.TimeoutError):
        mapped = httpx.ReadTimeout
    elif isinstance(exc, aiohttp.ClientConnectorError):
        mapped = httpx.ConnectError
    elif isinstance(
        exc,
        aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError | aiohttp.ClientPayloadError,
    ):
        mapped = httpx.RemoteProtocolError
    else:
        mapped = httpx.ReadError
    return mapped(message, request=request)


_AIOHTTP_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


class _ResponseStream(httpx.AsyncByteStream):
    """The body of an aiohttp response, as httpx reads it; closing releases the connection."""

    __slots__ = ("_request", "_response")

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while chunk := await content.readany():
                yield chunk
        except _AIOHTTP_ERRORS as exc:
            raise _map_error(exc, self._request) from exc

    async def aclose(self) -> None:
        # A body read to its end leaves the connection reusable; otherwise it is closed.
        self._response.release()


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    timeout = request.extensions.get("timeout") or {}
    return aiohttp.ClientTimeout(
        total=None,
        connect=timeout.get("pool"),
        sock_connect=timeout.get("connect"),
        sock_read=timeout.get("read"),
    )


class AiohttpTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncBaseTransport`` over one ``aiohttp.ClientSession`` (created lazily).

    ``limit`` bounds the open connections in all, ``limit_per_host`` per upstream;
    ``keepalive`` is how long an idle connection is kept (seconds).
    """

    def __init__(
        self, *, limit: int = 512, limit_per_host: int = 0, keepalive: float = 15.0
    ) -> None:
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._keepalive = keepalive
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._limit,
            limit_per_host=self._limit_per_host,
            keepalive_timeout=self._keepalive,
            ttl_dns_cache=10,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            auto_decompress=False,
            skip_auto_headers=_SKIP_AUTO_HEADERS,
            requote_redirect_url=False,
        )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        return await self.send_to(request, f"{url.scheme}://{url.netloc.decode('ascii')}", None)

    async def send_to(
        self, request: httpx.Request, origin: str, host: str | None
    ) -> httpx.Response:
        """Send ``request`` to ``origin`` (``scheme://host:port``), ``Host: host`` if given."""
        session = self._session or self._open()
        # encoded=True: the target goes out as it came in, neither re-quoted nor normalised.
        target = URL(origin + _target(request).decode("ascii"), encoded=True)
        headers: CIMultiDict[str] = CIMultiDict(
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers.raw
            if name.lower() != _FRAMING
        )
        if host is not None:
            headers["Host"] = host
        body = _body(request)
        try:
            # _request, not request(): the context manager adds a frame to every call.
            response = await session._request(
                request.method,
                target,
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=_timeout(request),
            )
        except _AIOHTTP_ERRORS as exc:
            raise _map_error(exc, request) from exc
        if isinstance(body, _GuardedBody):
            body.attach(response)
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, request),
            request=request,
            extensions=_HTTP_11,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


def _target(request: httpx.Request) -> bytes:
    """The request target: the ``target`` extension (as httpcore honours it) or the URL's.

    ``httpx.URL`` percent-encodes what it deems unsafe (``"``, ``<``, ``{``...), so a
    proxy that must forward a target byte for byte passes it in ``extensions["target"]``.
    """
    target = request.extensions.get("target")
    return target if isinstance(target, bytes) else request.url.raw_path


class _GuardedBody:
    """A streamed request body whose failure closes the upstream connection.

    aiohttp writes a streamed body in a task of its own and keeps an error raised there
    where nothing reads it: an upstream that answered before reading the body would then
    wait for the rest forever, and the response reader with it. Closing the response
    wakes the reader (it raises) and frees the connection.
    """

    __slots__ = ("_response", "_stream", "failed")

    def __init__(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> None:
        self._stream = stream
        self._response: aiohttp.ClientResponse | None = None
        self.failed = False

    def attach(self, response: aiohttp.ClientResponse) -> None:
        """The response the body belongs to (closed at once if the body already failed)."""
        self._response = response
        if self.failed:
            response.close()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx.AsyncByteStream)  # noqa: S101 - async client
        try:
            async for chunk in self._stream:
                yield chunk
        except BaseException:
            self.failed = True
            if self._response is not None:
                self._response.close()
            raise


def _body(request: httpx.Request) -> bytes | _GuardedBody | None:
    """The request body: bytes when httpx holds them, else the stream (sent chunked)."""
    try:
        content = request.content
    except httpx.RequestNotRead:
        return _GuardedBody(request.stream)
    return content or None
