"""uvicorn's httptools protocol with the limits uvicorn leaves out.

uvicorn (with httptools) accepts a header section of any size and waits forever for
one that never ends: a client can grow the server's memory, or hold connections open
by sending its headers a byte at a time (slowloris). :func:`limited_protocol` makes a
protocol class that answers

- **431** problem+json when one header field, or the request line and all fields
  together, pass their limits, and stops parsing; the same when a chunked body's
  trailer section (or a chunk-size line) grows past the header limit;
- **408** problem+json when the request line and headers have not all arrived within
  ``header_timeout`` seconds of the request's first byte; a connection that sends
  nothing at all is closed after the same time;
- **400** problem+json (instead of uvicorn's plain text) for a request that is not
  valid HTTP/1.1 — llhttp refuses ambiguous framing: ``Content-Length`` with
  ``Transfer-Encoding``, repeated ``Content-Length``, a coding after ``chunked`` —
  and for ``Transfer-Encoding`` in an HTTP/1.0 request (RFC 9112 §6.1).

It also reads requests the way RFC 9112 says and uvicorn's h11 protocol does: field
values without their surrounding whitespace, and trailer fields never merged into the
header section the application sees (RFC 9110 §6.5.1).

Closing a socket with unread input makes the kernel send RST, and a client that gets
RST may lose the answer it was sent just before. So after a refusal, or when the
application closes while the request's body is still arriving (a 413 that did not read
it), the connection *lingers*: the answer is sent, the sending side shut down, and
what the client still sends is read and thrown away, for at most ``linger_seconds``
and ``linger_bytes``, then the connection is closed.

Bodies are the application's business (it reads them and enforces its own limits).
``backbone serve`` runs every service with this protocol.

It works inside uvicorn's protocol, with members uvicorn does not document: pyproject
bounds uvicorn to the versions ``tests/unit/core/test_uvicorn_internals.py`` checked.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from backbone.core.config import CoreSettings
from backbone.core.http import REQUEST_ID_HEADER, encode_problem, new_request_id, status_phrase

__all__ = ["LimitedHttpToolsProtocol", "limited_protocol", "server_config"]

_OWS = b" \t"
_INVALID = "The request is not valid HTTP/1.1 (malformed, or its framing is ambiguous)."


class _Refused(Exception):
    """Raised from a parser callback to stop parsing; the refusal is already recorded."""


def _problem(status: int, detail: str) -> bytes:
    """A refusal's whole answer in bytes, status line to body (written to the socket as is)."""
    request_id = new_request_id()
    body, headers = encode_problem(
        status,
        detail=detail,
        request_id=request_id,
        headers=[(REQUEST_ID_HEADER, request_id.encode("ascii")), (b"connection", b"close")],
    )
    head = [b"HTTP/1.1 %d %s\r\n" % (status, status_phrase(status).encode("ascii"))]
    head.extend(name + b": " + value + b"\r\n" for name, value in headers)
    return b"".join([*head, b"\r\n", body])


class _CycleTransport(asyncio.Transport):
    """The transport as a request's cycle sees it: its ``close()`` may linger."""

    def __init__(self, protocol: LimitedHttpToolsProtocol) -> None:
        super().__init__()
        self._protocol = protocol

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._protocol.lingering:
            self._protocol.transport.write(data)

    def is_closing(self) -> bool:
        return self._protocol.lingering or self._protocol.transport.is_closing()

    def close(self) -> None:
        self._protocol.close_after_response()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._protocol.transport.get_extra_info(name, default)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` with header limits, timeouts and lingering (see the module)."""

    max_header_bytes = 32_768
    max_header_field_bytes = 8192
    header_timeout = 10.0
    linger_seconds = 2.0
    linger_bytes = 1_048_576

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lingering = False  # answered and shut down for writing; reading to discard
        self._discarding = False  # the parser is fed no more
        self._discarded = 0
        self._pending: bytes | None = None
        self._header_bytes = 0  # raw bytes of the header section so far, counted before parsing
        self._message_bytes = 0  # request target and fields of this message, as parsed
        self._body_gap = 0  # bytes since the body last moved: chunk-size lines, trailers
        self._awaiting_headers = True
        self._headers_done = False
        self._message_done = True
        self._tail = b""
        self._refusal: tuple[int, str] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._cycle_transport = _CycleTransport(self)

    # -- connection ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_timer(self.header_timeout, self._headers_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        super().connection_lost(exc)

    def _start_timer(self, seconds: float, callback: Any) -> None:
        self._cancel_timer()
        self._timer = self.loop.call_later(seconds, callback)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _headers_timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if not self._header_bytes:
            self.transport.close()  # nothing sent: nothing to answer
            return
        detail = f"The request's headers did not arrive within {self.header_timeout:g}s."
        self._refuse(408, detail)

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            self._discarded += len(data)
            if self._discarded > self.linger_bytes:
                self.transport.close()
            return
        if self._awaiting_headers:
            if not self._count_header_bytes(data):
                return
        else:
            self._body_gap += len(data)
        super().data_received(data)
        if self._body_gap > self.max_header_bytes and not self._awaiting_headers:
            self._refuse(431, "The request's trailer section is too large.")

    def _count_header_bytes(self, data: bytes) -> bool:
        """Count the header section's bytes before parsing; False (and 431) past the limit.

        Counted here, not in the parser's callbacks only: httptools buffers a header
        field whole before its callback runs, so a limit checked there comes too late.
        """
        window = self._tail + data
        end = window.find(b"\r\n\r\n")
        if end < 0:
            self._header_bytes += len(data)
            self._tail = window[-3:]
        else:
            self._header_bytes += max(0, end + 4 - len(self._tail))
            self._awaiting_headers = False
        if self._header_bytes > self.max_header_bytes:
            self._refuse(431, "The request's header section is too large.")
            return False
        return True

    # -- parser callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._message_bytes = 0
        self._body_gap = 0
        self._headers_done = False
        self._message_done = False
        self._start_timer(self.header_timeout, self._headers_timed_out)

    def on_url(self, url: bytes) -> None:
        self._add_message_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        size = len(name) + len(value) + 4
        if size > self.max_header_field_bytes:
            self._stop(431, "A request header field is too large.")
        if self._headers_done:
            return  # a trailer field: never merged into the headers the app has read
        self._add_message_bytes(size)
        super().on_header(name, value.strip(_OWS))

    def _add_message_bytes(self, size: int) -> None:
        # Exact per message, whatever arrived in which read (pipelined requests too).
        self._message_bytes += size
        if self._message_bytes > self.max_header_bytes:
            self._stop(431, "The request's header section is too large.")

    def _stop(self, status: int, detail: str) -> None:
        self._refusal = (status, detail)
        raise _Refused

    def on_headers_complete(self) -> None:
        self._cancel_timer()
        self._headers_done = True
        if self.parser.get_http_version() == "1.0" and any(
            name == b"transfer-encoding" for name, _ in self.headers
        ):
            self._stop(400, "Transfer-Encoding in an HTTP/1.0 request: its framing is faulty.")
        super().on_headers_complete()
        if self.cycle is not None:
            self.cycle.transport = self._cycle_transport

    def on_body(self, body: bytes) -> None:
        self._body_gap = 0
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._message_done = True
        super().on_message_complete()
        self._awaiting_headers = True
        self._header_bytes = 0
        self._body_gap = 0
        self._tail = b""

    def on_response_complete(self) -> None:
        if not self._discarding:
            super().on_response_complete()
            return
        self.server_state.total_requests += 1
        # No keep-alive, no pipelined request: the connection is going. A refusal that
        # waited for this answer (of an earlier, pipelined request) goes out now, unless
        # that answer closed the connection (it is lingering already).
        if self._pending is not None and not self.lingering:
            self.transport.write(self._pending)
        self._linger()

    # -- refusing and closing ------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error: ours, or the refusal a callback recorded."""
        status, detail = self._refusal or (400, _INVALID)
        self._refuse(status, detail)

    def _refuse(self, status: int, detail: str) -> None:
        """Stop parsing and answer ``status`` — unless an answer to this request has begun."""
        if self._discarding or self.transport.is_closing():
            return
        self._discarding = True
        self._cancel_timer()
        cycle: RequestResponseCycle | None = self.cycle  # None before the first request
        answer: bytes | None = _problem(status, detail)
        if cycle is not None and cycle.scope is self.scope and cycle.response_started:
            answer = None  # a second status line would be read as the next answer
        if self._answering_earlier(cycle):
            self._pending = answer
            return
        if answer is not None:
            self.transport.write(answer)
        self._linger()

    def _answering_earlier(self, cycle: RequestResponseCycle | None) -> bool:
        """An earlier (pipelined) request's answer is still being written."""
        if cycle is None:
            return False
        if self.pipeline:  # queued cycles wait for an earlier one to finish
            return True
        return cycle.scope is not self.scope and not cycle.response_complete

    def close_after_response(self) -> None:
        """The application's close: linger if the request's body is still arriving."""
        if self._message_done and not self._discarding:
            self.transport.close()
        else:
            self._linger()

    def _linger(self) -> None:
        if self.lingering or self.transport.is_closing():
            return
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.lingering = self._discarding = True
        self._unset_keepalive_if_required()
        cycle: RequestResponseCycle | None = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app reads a disconnect and writes nothing more
            cycle.message_event.set()
        self.transport.write_eof()
        self.flow.resume_reading()
        self._start_timer(self.linger_seconds, self.transport.close)


def limited_protocol(
    *, max_header_bytes: int, max_header_field_bytes: int, header_timeout: float
) -> type[LimitedHttpToolsProtocol]:
    """A :class:`LimitedHttpToolsProtocol` subclass with these limits."""
    return type(
        "ConfiguredHttpToolsProtocol",
        (LimitedHttpToolsProtocol,),
        {
            "max_header_bytes": max_header_bytes,
            "max_header_field_bytes": max_header_field_bytes,
            "header_timeout": header_timeout,
        },
    )


def server_config(
    app: Any, *, host: str, port: int, settings: CoreSettings, **options: Any
) -> uvicorn.Config:
    """The uvicorn configuration every service runs with: header limits from ``settings``.

    ``options`` are passed on (``factory=True``, ``proxy_headers=False``...). Logging is
    the caller's: uvicorn must not replace it (``log_config=None``).
    """
    protocol = limited_protocol(
        max_header_bytes=settings.max_header_bytes,
        max_header_field_bytes=settings.max_header_field_bytes,
        header_timeout=settings.header_timeout,
    )
    options.setdefault("log_level", settings.log_level.lower())
    return uvicorn.Config(app, host=host, port=port, http=protocol, log_config=None, **options)
