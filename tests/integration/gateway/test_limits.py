"""Oversized headers and bodies, and slow clients, over raw sockets.

Header limits are the core defaults (32 KiB for the request line and fields, 8 KiB
per field); the stacks here use ``max_body_bytes`` = 4096, ``buffer_body_bytes`` =
1024 (bodies up to 1 KiB are read whole, larger ones stream), and 1 s for both the
header and the client body timeouts.

Decided here, and held by these tests: a body over the limit is 413 when found before
the upstream has begun to answer; once the upstream's answer has begun (its status is
already on its way to the client), the only honest signal left is to cut that answer
short and close the connection — and the upstream must never see the body complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from ._wire import (
    LAST_CHUNK,
    Answer,
    Conn,
    Recording,
    chunk,
    elapsed_since,
    exchange,
    recording_gateway,
    request,
)
from .conftest import Stack, run_stack

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIMIT = 4096
BUFFER = 1024
SETTINGS = {"max_body_bytes": LIMIT, "buffer_body_bytes": BUFFER}
MB = 1_000_000


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared() -> AsyncIterator[Stack]:
    """One stack for the module, with small body limits."""
    async with run_stack(**SETTINGS) as running:
        yield running


@pytest.fixture
def live(shared: Stack) -> Stack:
    """The shared stack, with what its echo upstreams received cleared."""
    for echo in shared.echo:
        echo.requests.clear()
    return shared


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def recording() -> AsyncIterator[Recording]:
    """A gateway (same limits) in front of an upstream that tells whole bodies from cut ones."""
    async with recording_gateway(**SETTINGS) as running:
        yield running


@pytest.fixture
def rec(recording: Recording) -> Recording:
    recording.upstream.clear()
    return recording


def assert_problem(answers: list[Answer], status: int) -> None:
    """Exactly one answer: the gateway's own problem+json ``status``, with its request id."""
    assert [answer.status for answer in answers] == [status]
    (answer,) = answers
    assert answer.header("content-type") == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == status
    assert problem["request_id"] == answer.header("x-request-id")


async def flood(conn: Conn, data: bytes, *, total: int, seconds: float = 3.0) -> int:
    """Send ``data`` over and over, up to ``total`` bytes; how many went before the cut."""
    sent = 0
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(seconds):
            while sent < total:
                await conn.send(data)
                sent += len(data)
    return sent


@contextlib.contextmanager
def peak_memory() -> Iterator[list[int]]:
    """The peak of Python allocations inside the block (the servers run in this process)."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


async def trickle(conn: Conn, data: bytes, *, every: float) -> None:
    """Send ``data`` one byte at a time, ``every`` seconds apart, until refused."""
    with contextlib.suppress(OSError):
        for byte in data:
            await conn.send(bytes([byte]))
            await asyncio.sleep(every)


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize("size", [10_000, 100_000, 1_000_000], ids=["10KB", "100KB", "1MB"])
async def test_one_huge_header_field_is_431(live: Stack, size: int) -> None:
    """One field over the field (or section) limit: 431 problem+json, closed, nothing forwarded."""
    answers, closed = await exchange(
        live.gateway, request(b"GET", b"/echo/x", [b"X-Big: " + b"a" * size])
    )
    assert_problem(answers, 431)
    assert closed
    assert live.echo_requests == []


async def test_many_small_headers_over_the_section_limit_are_431(live: Stack) -> None:
    """400 fields of 110 bytes, each fine, 44 KB together: 431, closed, nothing forwarded."""
    fields = [b"X-H%d: %s" % (index, b"b" * 100) for index in range(400)]
    answers, closed = await exchange(live.gateway, request(b"GET", b"/echo/x", fields))
    assert_problem(answers, 431)
    assert closed
    assert live.echo_requests == []


async def test_huge_request_line_is_431(live: Stack) -> None:
    """A 40 KB request target: 431, closed, nothing forwarded."""
    answers, closed = await exchange(live.gateway, request(b"GET", b"/echo/" + b"u" * 40_000, []))
    assert_problem(answers, 431)
    assert closed
    assert live.echo_requests == []


async def test_a_pipelined_requests_header_section_is_limited_too(live: Stack) -> None:
    """The request line and fields of a request pipelined behind another count as the first's."""
    first = request(b"GET", b"/echo/first", [])
    fields = [b"X-H%d: %s" % (index, b"b" * 1000) for index in range(20)]  # 20 KB, each fine
    second = request(b"GET", b"/echo/" + b"u" * 20_000, fields)  # with its 20 KB target: 40 KB
    answers, closed = await exchange(live.gateway, first + second)
    assert [answer.status for answer in answers] == [200, 431]
    assert closed
    assert [seen["raw_path"] for seen in live.echo_requests] == ["/echo/first"]


async def test_an_endless_header_is_cut_off_long_before_50_mb(live: Stack) -> None:
    """A 50 MB header field: the server stops reading and closes early; memory stays flat."""
    async with Conn.open(live.gateway) as conn:
        await conn.send(b"GET /echo/x HTTP/1.1\r\nHost: gateway.test\r\nX-Big: ")
        with peak_memory() as peak:
            sent = await flood(conn, b"a" * 65536, total=50 * MB)
    assert sent < 16 * MB, f"{sent} bytes accepted: the server kept reading"
    assert peak[0] < 8 * MB
    assert live.echo_requests == []


@pytest.mark.parametrize(
    "pattern", [b"t" * 65536, b"X-T: t\r\n" * 8192], ids=["one-endless-field", "endless-fields"]
)
async def test_an_endless_trailer_section_is_cut_off(live: Stack, pattern: bytes) -> None:
    """After a chunked body's last chunk, endless trailers: cut off early, memory stays flat."""
    head = request(b"POST", b"/echo/x", [b"Transfer-Encoding: chunked"], chunk(b"hello"))
    async with Conn.open(live.gateway) as conn:
        await conn.send(head + b"0\r\nX-T: ")
        with peak_memory() as peak:
            sent = await flood(conn, pattern, total=50 * MB)
    assert sent < 16 * MB, f"{sent} bytes accepted: the server kept reading"
    assert peak[0] < 8 * MB


# --------------------------------------------------------------------------- bodies


async def test_declared_length_over_the_limit_is_413_before_any_body_is_read(
    rec: Recording,
) -> None:
    """Content-Length over max_body_bytes: 413 at once, without waiting for the body."""
    async with Conn.open(rec.gateway) as conn:
        await conn.send(request(b"POST", b"/rec/x", [b"Content-Length: %d" % (LIMIT + 1)]))
        answers = await conn.read_answers(1)
        closed = await conn.read_until_closed()
    # A 413, not the 408 of the 1 s body timeout: nothing waited for a body.
    assert_problem(answers, 413)
    assert closed
    assert not rec.upstream.started.is_set()


async def test_413_reaches_a_client_that_sends_its_body_anyway(rec: Recording) -> None:
    """A 300 KB body over the limit, sent at once: the client reads the 413, no reset."""
    body = b"a" * 300_000
    raw = request(b"POST", b"/rec/x", [b"Content-Length: %d" % len(body)], body)
    answers, closed = await exchange(rec.gateway, raw)
    assert_problem(answers, 413)
    assert closed
    assert not rec.upstream.started.is_set()


BODY = bytes(range(256)) * (LIMIT // 256)
AT_THE_LIMIT = {
    # (fields, the body as sent, the body the upstream must receive)
    "declared-buffered": ([b"Content-Length: %d" % BUFFER], BODY[:BUFFER], BODY[:BUFFER]),
    "declared-streamed": ([b"Content-Length: %d" % LIMIT], BODY, BODY),
    "chunked": (
        [b"Transfer-Encoding: chunked"],
        chunk(BODY[:1000]) + chunk(BODY[1000:]) + LAST_CHUNK,
        BODY,
    ),
}


@pytest.mark.parametrize(
    ("fields", "sent", "payload"), AT_THE_LIMIT.values(), ids=AT_THE_LIMIT.keys()
)
async def test_a_body_within_the_limit_is_forwarded_whole(
    rec: Recording, fields: list[bytes], sent: bytes, payload: bytes
) -> None:
    """Up to max_body_bytes exactly, declared or chunked, the upstream gets the whole body."""
    raw = request(b"POST", b"/rec/x", [*fields, b"Connection: close"], sent)
    answers, _ = await exchange(rec.gateway, raw)
    assert [answer.status for answer in answers] == [200]
    assert [(seen.body, seen.complete) for seen in rec.upstream.received] == [(payload, True)]


async def test_a_chunked_body_over_the_limit_is_413_and_never_reaches_upstream_whole(
    rec: Recording,
) -> None:
    """A chunked body that passes the limit while streaming: 413; the upstream request is cut."""
    head = request(b"POST", b"/rec/x", [b"Transfer-Encoding: chunked"], chunk(b"a" * 3000))
    async with Conn.open(rec.gateway) as conn:
        await conn.send(head)
        await rec.upstream.wait_started()  # the first 3000 bytes are on their way upstream
        await conn.send(chunk(b"b" * 3000) + LAST_CHUNK)
        closed = await conn.read_until_closed()
    assert_problem(conn.answers, 413)
    assert closed
    (seen,) = await rec.upstream.wait()
    assert not seen.complete
    assert len(seen.body) <= LIMIT


async def test_a_body_over_the_limit_after_the_upstream_answered_cuts_the_answer(
    rec: Recording,
) -> None:
    """The upstream already answering: a body over the limit cuts that answer, closes, frees it."""
    head = request(b"POST", b"/rec/early/x", [b"Transfer-Encoding: chunked"], chunk(b"a" * 3000))
    async with Conn.open(rec.gateway) as conn:
        await conn.send(head)
        async with asyncio.timeout(2):
            while b"early " not in conn.received:  # the upstream's answer has begun
                conn.received += await conn.reader.read(65536)
        await conn.send(chunk(b"b" * 3000) + LAST_CHUNK)
        closed = await conn.read_until_closed(seconds=2.0)
    assert conn.received.startswith(b"HTTP/1.1 200 ")
    assert closed, "the gateway must cut the answer short and close the connection"
    assert conn.answers == []  # cut short: never a complete answer
    (seen,) = await rec.upstream.wait(seconds=1.0)
    assert not seen.complete


# --------------------------------------------------------------------------- slow clients


async def test_headers_trickled_slower_than_the_header_timeout_get_408(live: Stack) -> None:
    """Headers a byte every 50 ms, unfinished after the 1 s header timeout: 408, closed."""
    raw = request(b"GET", b"/echo/x", [b"X-Pad: " + b"p" * 100])  # 6+ s at this pace
    async with Conn.open(live.gateway) as conn:
        start = time.monotonic()
        sender = asyncio.create_task(trickle(conn, raw, every=0.05))
        closed = await conn.read_until_closed()
        sender.cancel()
    assert elapsed_since(start) > 0.9  # not before the timeout (closed: within 3 s)
    assert_problem(conn.answers, 408)
    assert closed
    assert live.echo_requests == []


async def test_a_silent_connection_is_closed_after_the_header_timeout(live: Stack) -> None:
    """A client that connects and sends nothing is disconnected after 1 s, unanswered."""
    async with Conn.open(live.gateway) as conn:
        start = time.monotonic()
        closed = await conn.read_until_closed()
    assert closed
    assert elapsed_since(start) > 0.9  # not before the timeout (closed: within 3 s)
    assert conn.received == b""


STALLED = {
    # (fields, what is sent before the stall, whether the upstream saw the request begin)
    "declared-buffered": ([b"Content-Length: 100"], b"x" * 10, False),
    "declared-streamed": ([b"Content-Length: %d" % (BUFFER * 2)], b"x" * (BUFFER + 100), True),
    "chunked": ([b"Transfer-Encoding: chunked"], chunk(b"x" * 500), True),
}


@pytest.mark.parametrize(("fields", "part", "began"), STALLED.values(), ids=STALLED.keys())
async def test_a_body_that_stalls_longer_than_the_body_timeout_gets_408(
    rec: Recording, fields: list[bytes], part: bytes, began: bool
) -> None:
    """A body paused past client_body_timeout: 408, closed, never whole at the upstream."""
    async with Conn.open(rec.gateway) as conn:
        await conn.send(request(b"POST", b"/rec/x", fields, part))
        start = time.monotonic()
        closed = await conn.read_until_closed()
    assert elapsed_since(start) > 0.9  # not before the timeout (closed: within 3 s)
    assert_problem(conn.answers, 408)
    assert closed
    if began:
        (seen,) = await rec.upstream.wait()
        assert not seen.complete
    else:
        assert not rec.upstream.started.is_set()


async def test_stalled_clients_do_not_hold_the_gateway(live: Stack) -> None:
    """30 clients stalled in their headers, 10 in their bodies: others are served at once."""
    async with contextlib.AsyncExitStack() as stack:
        stalled = [await stack.enter_async_context(Conn.open(live.gateway)) for _ in range(40)]
        for index, conn in enumerate(stalled):
            if index < 30:
                await conn.send(b"GET /echo/slow HTTP/1.1\r\nHost: gateway.test\r\nX-Half: ")
            else:
                await conn.send(request(b"POST", b"/echo/slow", [b"Content-Length: 100"], b"x"))
        # Watch the stalled connections: the gateway closes each with a 408 at its timeout.
        closing = [asyncio.create_task(conn.read_until_closed()) for conn in stalled]
        async with httpx.AsyncClient(base_url=live.gateway) as client:
            responses = await asyncio.gather(*(client.get(f"/echo/ok/{n}") for n in range(20)))
        assert [response.status_code for response in responses] == [200] * 20
        # Served while all 40 still held their connections, not after the timeouts freed them.
        assert not any(task.done() for task in closing)
        closed = await asyncio.gather(*closing)
    assert all(closed)
    assert [answer.status for conn in stalled for answer in conn.answers] == [408] * 40
    assert sorted(seen["raw_path"] for seen in live.echo_requests) == sorted(
        f"/echo/ok/{n}" for n in range(20)
    )
