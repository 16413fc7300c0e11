"""Request smuggling: every framing two HTTP parsers could read differently is refused.

Over raw sockets (httpx would clean these requests), against the live stack. Each
refused request carries a second request after it — inside its body by one reading,
a request of its own by another. The gateway must answer 400 and close the
connection, and the echo upstream must receive nothing: neither the smuggled request
nor the first one. The 400 may come from the HTTP server layer (llhttp refuses most
of these before the gateway runs) or from the gateway; both are problem+json.

What is *not* ambiguous is accepted: ``chunked`` in any case, optional whitespace
around a value. Then the upstream gets the same body the gateway parsed, and the
request after it as a request of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from ._wire import (
    LAST_CHUNK,
    Conn,
    Recording,
    chunk,
    exchange,
    recording_gateway,
    request,
)
from .conftest import Stack, run_stack

pytestmark = pytest.mark.asyncio(loop_scope="module")

SMUGGLED = request(b"GET", b"/echo/smuggled", [])
BODY = chunk(b"hello") + LAST_CHUNK  # 5\r\nhello\r\n0\r\n\r\n
# After the chunked body: a request of its own (CL.TE), or the end of a longer body.
WHOLE = len(BODY + SMUGGLED)


def _post(fields: list[bytes], body: bytes = BODY, *, version: bytes = b"1.1") -> bytes:
    return request(b"POST", b"/echo/x", fields, body, version=version) + SMUGGLED


REFUSED = {
    # Content-Length and Transfer-Encoding together: CL.TE and TE.CL.
    "cl-then-te": _post([b"Content-Length: %d" % WHOLE, b"Transfer-Encoding: chunked"]),
    "te-then-cl": _post([b"Transfer-Encoding: chunked", b"Content-Length: %d" % WHOLE]),
    "cl-zero-and-te": _post([b"Content-Length: 0", b"Transfer-Encoding: chunked"]),
    # Two Content-Lengths: as two fields or as a list, different or even equal.
    "cl-twice-different": _post([b"Content-Length: %d" % len(BODY), b"Content-Length: 0"]),
    "cl-twice-equal": _post([b"Content-Length: %d" % len(BODY)] * 2),
    "cl-list-different": _post([b"Content-Length: %d, %d" % (len(BODY), WHOLE)]),
    "cl-list-equal": _post([b"Content-Length: %d, %d" % (len(BODY), len(BODY))]),
    # Content-Length that is not a plain decimal number.
    "cl-plus-sign": _post([b"Content-Length: +%d" % len(BODY)]),
    "cl-hex": _post([b"Content-Length: 0x%x" % len(BODY)]),
    "cl-negative": _post([b"Content-Length: -1"]),
    "cl-vertical-tab": _post([b"Content-Length: \x0b%d" % len(BODY)]),
    # Transfer-Encoding in disguise.
    "te-xchunked": _post([b"Transfer-Encoding: xchunked"]),
    "te-chunked-identity": _post([b"Transfer-Encoding: chunked, identity"]),
    "te-identity-chunked": _post([b"Transfer-Encoding: identity, chunked"]),
    "te-gzip-chunked": _post([b"Transfer-Encoding: gzip, chunked"]),
    "te-chunked-twice-in-list": _post([b"Transfer-Encoding: chunked, chunked"]),
    "te-two-fields-chunked": _post([b"Transfer-Encoding: chunked"] * 2),
    "te-two-fields-chunked-identity": _post(
        [b"Transfer-Encoding: chunked", b"Transfer-Encoding: identity"]
    ),
    "te-identity-only": _post([b"Transfer-Encoding: identity"]),
    "te-empty": _post([b"Transfer-Encoding: "]),
    "te-space-before-colon": _post([b"Transfer-Encoding : chunked"]),
    "te-tab-before-colon": _post([b"Transfer-Encoding\t: chunked"]),
    "te-vertical-tab-before-value": _post([b"Transfer-Encoding: \x0bchunked"]),
    "te-vertical-tab-after-value": _post([b"Transfer-Encoding: chunked\x0b"]),
    "te-form-feed-before-value": _post([b"Transfer-Encoding: \x0cchunked"]),
    "te-nul-after-value": _post([b"Transfer-Encoding: chunked\x00"]),
    "te-folded-line": _post([b"Transfer-Encoding:", b" chunked"]),
    "te-as-continuation-line": _post([b"X-Pad: 1", b"\tTransfer-Encoding: chunked"]),
    "te-underscore-name": _post([b"Transfer_Encoding: chunked", b"Content-Length: %d" % WHOLE]),
    "cl-underscore-name": _post([b"Content_Length: 0", b"Content-Length: %d" % len(BODY)]),
    "te-in-http-1.0": _post([b"Transfer-Encoding: chunked"], version=b"1.0"),
    # Line endings another parser could split differently.
    "bare-lf-line-endings": (
        b"POST /echo/x HTTP/1.1\nHost: gateway.test\nContent-Length: 5\n\nhello" + SMUGGLED
    ),
    "bare-cr-in-field": _post([b"X-Pad: a\rTransfer-Encoding: chunked", b"Content-Length: 5"]),
}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared() -> AsyncIterator[Stack]:
    """One stack for the module (its settings are the defaults)."""
    async with run_stack() as running:
        yield running


@pytest.fixture
def live(shared: Stack) -> Stack:
    """The shared stack, with what its echo upstreams received cleared."""
    for echo in shared.echo:
        echo.requests.clear()
    return shared


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def recording() -> AsyncIterator[Recording]:
    """A gateway in front of an upstream that tells whole requests from cut ones."""
    async with recording_gateway() as running:
        yield running


@pytest.fixture
def rec(recording: Recording) -> Recording:
    recording.upstream.clear()
    return recording


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("raw", REFUSED.values(), ids=REFUSED.keys())
async def test_ambiguous_framing_is_refused_and_nothing_reaches_upstream(
    live: Stack, raw: bytes
) -> None:
    """400, connection closed, and the upstream receives neither request."""
    answers, closed = await exchange(live.gateway, raw)
    assert [answer.status for answer in answers] == [400]
    assert closed, "the connection must be closed after an ambiguous request"
    assert live.echo_requests == []


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (REFUSED["cl-then-te"], "The request is not valid HTTP/1.1"),  # the server layer
        (REFUSED["te-gzip-chunked"], "The request's framing is ambiguous"),  # the gateway
    ],
    ids=["server-layer", "gateway"],
)
async def test_framing_refusals_are_problem_json_with_a_request_id(
    live: Stack, raw: bytes, detail: str
) -> None:
    """Whoever refuses (llhttp's server layer or the gateway), the 400 is problem+json."""
    answers, _ = await exchange(live.gateway, raw)
    (answer,) = answers
    assert answer.header("content-type") == "application/problem+json"
    problem = answer.json()
    assert (problem["status"], problem["title"]) == (400, "Bad Request")
    assert problem["detail"].startswith(detail)
    assert problem["request_id"] == answer.header("x-request-id")


FRAMING = {"content-length", "transfer-encoding"}
ACCEPTED = {
    "te-chunked": [b"Transfer-Encoding: chunked"],
    "te-upper-case": [b"Transfer-Encoding: CHUNKED"],
    "te-mixed-case": [b"Transfer-Encoding: ChUnKeD"],
    "te-tab-before-value": [b"Transfer-Encoding:\tchunked"],
    "te-spaces-around-value": [b"Transfer-Encoding:   chunked  "],
    "cl": [b"Content-Length: 5"],
    "cl-spaces-around-value": [b"Content-Length:  5 \t"],
}


@pytest.mark.parametrize("fields", ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_unambiguous_framing_reaches_upstream_as_parsed(
    live: Stack, fields: list[bytes]
) -> None:
    """chunked in any case, whitespace around values: one body, then the next request."""
    chunked = fields[0].lower().startswith(b"transfer-encoding")
    body = BODY if chunked else b"hello"
    after = request(b"GET", b"/echo/after", [b"Connection: close"])
    answers, closed = await exchange(
        live.gateway, request(b"POST", b"/echo/x", fields, body) + after
    )
    assert [answer.status for answer in answers] == [200, 200]
    assert closed
    after_seen, post = sorted(live.echo_requests, key=lambda seen: seen["raw_path"])
    assert (after_seen["method"], after_seen["raw_path"]) == ("GET", "/echo/after")
    assert after_seen["body_length"] == 0
    assert (post["method"], post["raw_path"]) == ("POST", "/echo/x")
    assert (post["body_length"], post["body_sha256"]) == (5, _sha256(b"hello"))
    framing = [(name, value) for name, value in post["headers"] if name in FRAMING]
    assert framing == ([("transfer-encoding", "chunked")] if chunked else [("content-length", "5")])


async def test_trailer_fields_never_become_forwarded_headers(live: Stack) -> None:
    """Fields in a chunked body's trailer section are not merged into the request's headers."""
    trailers = b"Authorization: Bearer stolen\r\nX-Forwarded-For: 6.6.6.6\r\nX-Trailer: 1\r\n"
    body = chunk(b"hello") + b"0\r\n" + trailers + b"\r\n"
    raw = request(b"POST", b"/echo/x", [b"Transfer-Encoding: chunked", b"Connection: close"], body)
    answers, _ = await exchange(live.gateway, raw)
    assert [answer.status for answer in answers] == [200]
    (seen,) = live.echo_requests
    names = {name for name, _ in seen["headers"]}
    assert not names & {"authorization", "x-trailer"}
    assert dict(seen["headers"])["x-forwarded-for"] == "127.0.0.1"
    assert seen["body_length"] == 5


async def test_an_invalid_pipelined_request_never_precedes_the_valid_answer(live: Stack) -> None:
    """A valid request, then garbage on the same connection: 200 first, then 400, closed."""
    first = request(b"GET", b"/echo/first", [])
    garbage = b"POST /echo/x HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
    answers, closed = await exchange(live.gateway, first + garbage + BODY + SMUGGLED)
    assert [answer.status for answer in answers] == [200, 400]
    assert answers[0].json()["raw_path"] == "/echo/first"
    assert closed
    assert [seen["raw_path"] for seen in live.echo_requests] == ["/echo/first"]


CHUNK_ERRORS = {
    "size-with-0x": b"0x5\r\nhello\r\n0\r\n\r\n",
    "size-overflows": b"fffffffffffffffff5\r\nhello\r\n0\r\n\r\n",
    "size-line-bare-lf": b"5\nhello\n0\n\n",
    "data-longer-than-size": b"3\r\nhello\r\n0\r\n\r\n",
    "size-negative": b"-5\r\nhello\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("body", CHUNK_ERRORS.values(), ids=CHUNK_ERRORS.keys())
async def test_malformed_chunks_are_refused_and_the_upstream_request_is_aborted(
    rec: Recording, body: bytes
) -> None:
    """A chunked body that breaks its own framing: 400, closed, no complete upstream request."""
    head = request(b"POST", b"/rec/x", [b"Transfer-Encoding: chunked"], chunk(b"first"))
    async with Conn.open(rec.gateway) as conn:
        await conn.send(head)
        await rec.upstream.wait_started()  # the request is streaming upstream
        await conn.send(body + SMUGGLED)
        closed = await conn.read_until_closed()
    assert [answer.status for answer in conn.answers] == [400]
    assert closed
    received = await rec.upstream.wait()
    assert [(seen.path, seen.complete) for seen in received] == [("/rec/x", False)]
