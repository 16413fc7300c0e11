"""A decoder of ``text/event-stream`` (the WHATWG HTML "server-sent events" format).

:func:`iter_lines` decodes the bytes as UTF-8 (the format's only encoding) and ends
lines at CRLF, LF or CR only: :meth:`httpx.Response.iter_lines` splits like
:meth:`str.splitlines`, also at U+2028, U+0085 and form feeds, which JSON data may
hold. The lines build an event: ``event:`` names it, each ``data:`` adds a line to
its data, ``id:`` sets the last event id (kept across events and across
reconnections, so it can be sent back as ``Last-Event-ID``), ``retry:`` sets the
reconnection delay in milliseconds, a line starting with ``:`` is a comment (a
keep-alive) and unknown fields are ignored. A blank line dispatches the event; an
event cut off by the end of the stream is discarded, so a dropped connection never
yields half an event.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent", "iter_events", "iter_lines"]

_END_OF_LINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: its type (``message`` by default), data and last event id."""

    event: str = "message"
    data: str = ""
    id: str = ""


class SSEDecoder:
    """Turns lines into events, one line at a time (the state of one stream)."""

    def __init__(self, *, last_event_id: str = "") -> None:
        self.last_event_id = last_event_id
        """The id to resume after; updated only when an event is dispatched."""
        self.retry: int | None = None
        """The reconnection delay (ms) the server asked for, if it did."""
        self._event = ""
        self._data: list[str] = []
        self._id = last_event_id

    def decode(self, line: str) -> ServerSentEvent | None:
        """Feed one line (without its terminator); the event a blank line completes."""
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        self.last_event_id = self._id
        event, data = self._event or "message", self._data
        self._event, self._data = "", []
        if not data:
            return None
        return ServerSentEvent(event=event, data="\n".join(data), id=self._id)


def iter_events(
    lines: Iterable[str], decoder: SSEDecoder | None = None
) -> Iterator[ServerSentEvent]:
    """The events of a stream of lines (a leading byte order mark is skipped)."""
    decoder = decoder if decoder is not None else SSEDecoder()
    first = True
    for line in lines:
        if first:
            line, first = line.removeprefix("\ufeff"), False
        event = decoder.decode(line)
        if event is not None:
            yield event


def iter_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The lines of a UTF-8 byte stream, without their CRLF, LF or CR."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        start = 0
        for match in _END_OF_LINE.finditer(pending):
            if match.group() == "\r" and match.end() == len(pending):
                break  # maybe the first half of a CRLF split between chunks
            yield pending[start : match.start()]
            start = match.end()
        pending = pending[start:]
    pending += decoder.decode(b"", final=True)
    # What is left has no line end (nothing can follow it), unless a lone CR ends it.
    if pending.endswith("\r"):
        yield pending[:-1]
