"""The text/event-stream decoder against the WHATWG server-sent events rules."""

from __future__ import annotations

import httpx

from backbone.cli._sse import ServerSentEvent, SSEDecoder, iter_events, iter_lines


def _events(text: str, decoder: SSEDecoder | None = None) -> list[ServerSentEvent]:
    lines = iter_lines(httpx.Response(200, content=text.encode()).iter_bytes())
    return list(iter_events(lines, decoder))


def test_event_type_multiline_data_and_id() -> None:
    """`event`, several `data` lines (joined by newlines) and `id` make one event."""
    events = _events('event: step\ndata: {"a":\ndata:  1}\nid: 7\n\n')
    assert events == [ServerSentEvent(event="step", data='{"a":\n 1}', id="7")]


def test_default_type_comments_and_unknown_fields() -> None:
    """Without `event` the type is message; comments and unknown fields are ignored."""
    events = _events(": keep-alive\nfoo: bar\ndata:x\n\n:\n\n")
    assert events == [ServerSentEvent(event="message", data="x", id="")]


def test_every_line_ending_and_a_byte_order_mark() -> None:
    """CRLF, CR and LF all end lines; a leading BOM is not part of the first field."""
    events = _events("\ufeffdata: a\r\n\r\ndata: b\r\rdata: c\n\n")
    assert [e.data for e in events] == ["a", "b", "c"]


def test_field_without_colon_and_only_one_space_stripped() -> None:
    """A bare `data` line adds an empty line; only one leading space is removed."""
    events = _events("data\ndata:   two\n\n")
    assert events[0].data == "\n  two"


def test_empty_data_field_still_dispatches() -> None:
    """`data:` with nothing after it is an event whose data is empty."""
    assert _events("event: ping\ndata:\n\n") == [ServerSentEvent(event="ping", data="")]


def test_an_event_cut_off_by_the_end_of_the_stream_is_discarded() -> None:
    """A dropped connection never yields half an event, nor moves the last event id."""
    decoder = SSEDecoder()
    events = _events("id: 1\ndata: one\n\nid: 2\ndata: tw", decoder)
    assert [e.data for e in events] == ["one"]
    assert decoder.last_event_id == "1"


def test_last_event_id_persists_and_moves_without_data() -> None:
    """The id carries over to later events; an id-only block still moves it."""
    decoder = SSEDecoder(last_event_id="4")
    events = _events("data: a\n\nid: 9\n\n", decoder)
    assert events == [ServerSentEvent(data="a", id="4")]
    assert decoder.last_event_id == "9"


def test_retry_and_bad_values() -> None:
    """`retry` with digits sets the delay; other retry values and ids with NUL are ignored."""
    decoder = SSEDecoder()
    events = _events("retry: 2500\nretry: 1e3\nid: 3\nid: x\0y\ndata: d\n\n", decoder)
    assert decoder.retry == 2500
    assert events[0].id == "3"


def test_type_and_data_reset_after_each_event() -> None:
    """An event's type and data do not leak into the next one."""
    events = _events("event: step\ndata: 1\n\ndata: 2\n\n")
    assert [(e.event, e.data) for e in events] == [("step", "1"), ("message", "2")]


def test_lines_end_only_at_cr_lf_crlf() -> None:
    """U+2028, U+0085 and form feeds in data are data, not line ends (unlike splitlines)."""
    events = _events("data: a\u2028b\x85c\x0cd\n\n")
    assert [e.data for e in events] == ["a\u2028b\x85c\x0cd"]


def test_chunk_boundaries() -> None:
    """A CRLF or a UTF-8 character split between chunks is read as one."""
    chunks = [b"data: caf", b"\xc3", b"\xa9\r", b"\n\r", b"\ndata: x\r", b"\r"]
    events = list(iter_events(iter_lines(chunks)))
    assert [e.data for e in events] == ["caf\u00e9", "x"]


def test_a_lone_cr_at_the_end_ends_a_line() -> None:
    """A stream ending in CR ends its last line there (it can dispatch an event)."""
    assert list(iter_lines([b"a\nb\r"])) == ["a", "b"]
    assert list(iter_lines([b"a\nb"])) == ["a"]
