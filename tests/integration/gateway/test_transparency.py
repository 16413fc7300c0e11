"""The gateway is transparent: what a client sends reaches the upstream, and back.

Against the live stack (see conftest): the echo upstream reports what it received,
so each test compares both ends. Requests httpx would clean up (odd paths,
absolute-form targets, hop-by-hop fields) go over raw sockets. A ``bystander`` echo
server, never configured as an upstream, shows that nothing in a request can make the
gateway contact another host.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from backbone.gateway.transport import AiohttpTransport

from ._servers import EchoApp, raw_exchange, serve
from .conftest import Stack, run_stack

pytestmark = pytest.mark.asyncio(loop_scope="module")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PATH_REFUSED = "The path could escape its route and is refused."
# What the gateway itself sends upstream besides the client's end-to-end fields.
GATEWAY_FIELDS = {"host", "x-request-id", "x-forwarded-for", "x-forwarded-proto"} | {
    "x-forwarded-host",
    "via",
}
RawHeaders = Sequence[tuple[bytes, bytes]]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared() -> AsyncIterator[Stack]:
    """One stack for the module's tests that need no settings of their own (fast)."""
    async with run_stack() as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bystander_server() -> AsyncIterator[tuple[EchoApp, str]]:
    """An echo server the gateway is not configured to reach."""
    app = EchoApp()
    async with serve(app) as url:
        yield app, url


@pytest.fixture
def live(shared: Stack) -> Stack:
    """The shared stack, with what its echo upstreams received cleared."""
    for echo in shared.echo:
        echo.requests.clear()
    return shared


@pytest.fixture
def bystander(bystander_server: tuple[EchoApp, str]) -> tuple[EchoApp, str]:
    """The bystander, with what it received cleared."""
    bystander_server[0].requests.clear()
    return bystander_server


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class RawResponse:
    """A response as it came off the socket: header lines kept apart, in order."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def get_list(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    def json(self) -> Any:
        return json.loads(self.body)


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[:size]
        data = data[size + 2 :]


def parse_response(raw: bytes) -> RawResponse:
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = [
        (name.strip().lower(), value.strip())
        for name, value in (line.split(":", 1) for line in lines)
    ]
    body = _dechunk(rest) if ("transfer-encoding", "chunked") in headers else rest
    return RawResponse(int(status_line.split(" ")[1]), headers, body)


def netloc(url: str) -> str:
    return urlsplit(url).netloc


async def send_raw(
    base: str,
    target: bytes,
    *,
    method: bytes = b"GET",
    headers: RawHeaders = (),
    body: bytes = b"",
    host: bytes | None = None,
) -> RawResponse:
    """One request written byte for byte (``Connection: close`` appended), its response."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: " + (host or netloc(base).encode())]
    lines += [name + b": " + value for name, value in headers]
    if body:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    lines.append(b"Connection: close")
    return parse_response(await raw_exchange(base, b"\r\n".join(lines) + b"\r\n\r\n" + body))


def received(stack: Stack) -> tuple[str, dict[str, Any]]:
    """The one request the echo upstreams received, and the URL of the instance that did."""
    seen = [
        (url, request)
        for url, echo in zip(stack.settings.routes[2].upstreams, stack.echo, strict=True)
        for request in echo.requests
    ]
    assert len(seen) == 1, f"expected one upstream request, got {len(seen)}"
    return seen[0]


def fields(request: dict[str, Any], name: str) -> list[str]:
    return [value for key, value in request["headers"] if key == name]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- request


QUERY = b"a=1+2&b=%20&c=%2F&&d==&e=%E2%82%AC&f&a=3&g=&h=%zz&i=~!$'()*,;:@/?"
PATH = b"/echo/a/b;p=1/%E2%82%AC/%41~+:@!$&'()*,="
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


@pytest.mark.parametrize("method", METHODS)
async def test_request_reaches_upstream_unchanged(live: Stack, method: str) -> None:
    """Method, raw path and query, repeated fields in order, body: all arrive unchanged."""
    body = json.dumps({"name": "Zoë", "tags": ["a", "b"]}).encode()
    sent = [
        (b"Content-Type", b"application/json"),
        (b"X-Multi", b"one"),
        (b"X-Other", b"between"),
        (b"X-Multi", b"two, three"),
        (b"Authorization", b"Bearer t0ken"),
    ]
    response = await send_raw(
        live.gateway, PATH + b"?" + QUERY, method=method.encode(), headers=sent, body=body
    )
    assert response.status == 200
    _, seen = received(live)
    assert seen["method"] == method
    assert seen["raw_path"] == PATH.decode()
    assert seen["query_string"] == QUERY.decode()
    end_to_end = [(k, v) for k, v in seen["headers"] if k not in GATEWAY_FIELDS]
    expected = [(name.decode().lower(), value.decode()) for name, value in sent]
    assert end_to_end == [*expected, ("content-length", str(len(body)))]
    assert (seen["body_length"], seen["body_sha256"]) == (len(body), sha256(body))
    if method == "HEAD":
        assert response.body == b""
    else:
        assert response.json() == json.loads(json.dumps(seen))


@pytest.mark.parametrize(
    "path",
    [
        "/echo/a%20b",  # an encoded space is not a control character
        '/echo/a"b{c}<d>`e|f^g',  # httpx's URL would quote these
        "/echo/x%23y",
        "/echo/.../.hidden/a..b/c.",  # dots, but no dot segment
        "/echo/%7e%2B%3d",  # encodings kept as they came, case included
    ],
)
async def test_unusual_but_safe_paths_are_forwarded_byte_for_byte(live: Stack, path: str) -> None:
    """Paths that cannot escape their route reach the upstream neither refused nor re-quoted."""
    response = await send_raw(live.gateway, path.encode() + b"?k=v")
    assert response.status == 200, response.body
    _, seen = received(live)
    assert (seen["raw_path"], seen["query_string"]) == (path, "k=v")


async def test_query_is_forwarded_byte_for_byte_even_where_httpx_would_quote(
    live: Stack,
) -> None:
    """A query with characters httpx.URL percent-encodes (quotes, <, >) arrives as sent."""
    query = 'q="x"<y>{z}|^`&r=%22'
    response = await send_raw(live.gateway, b"/echo/q?" + query.encode())
    assert response.status == 200
    _, seen = received(live)
    assert seen["query_string"] == query


async def test_transport_sends_the_target_extension_byte_for_byte(live: Stack) -> None:
    """AiohttpTransport sends ``extensions["target"]`` as it is, where httpx.URL would quote."""
    target = b'/echo/a"b{c}?q="x"<y>'
    url = live.settings.routes[2].upstreams[0]
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        request = client.build_request("GET", url + "/ignored", extensions={"target": target})
        response = await client.send(request)
    assert response.status_code == 200
    assert (live.echo[0].requests[0]["raw_path"], response.json()["query_string"]) == (
        '/echo/a"b{c}',
        'q="x"<y>',
    )


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_binary_body_arrives_intact(live: Stack, method: str, framing: str) -> None:
    """A 300 KB binary body (streamed, over the buffer size) reaches the upstream intact."""
    body = bytes(range(256)) * 1200  # 307,200 bytes, every byte value

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 50_000):
            yield body[start : start + 50_000]

    content = body if framing == "content-length" else pieces()
    async with httpx.AsyncClient(base_url=live.gateway) as client:
        response = await client.request(method, "/echo/upload", content=content)
    assert response.status_code == 200
    _, seen = received(live)
    assert (seen["body_length"], seen["body_sha256"]) == (len(body), sha256(body))
    assert response.json()["body_sha256"] == sha256(body)


# --------------------------------------------------------------------------- response


@pytest.mark.parametrize("status", [200, 202, 400, 418, 500, 503])
async def test_upstream_status_and_body_come_back(live: Stack, status: int) -> None:
    """The upstream's status and body reach the client as they were (its 5xx included)."""
    async with httpx.AsyncClient(base_url=live.gateway) as client:
        response = await client.get("/echo/s", headers={"x-echo-status": str(status)})
    _, seen = received(live)
    assert response.status_code == status
    assert response.content == json.dumps(seen).encode()


async def test_created_no_content_and_not_modified_pass_through(live: Stack) -> None:
    """201 with Location and ETag, 304 for a matching If-None-Match, and 204 pass through."""
    async with httpx.AsyncClient(base_url=live.gateway) as client:
        created = await client.post("/users", json={"name": "Ada", "email": "ada@example.com"})
        assert created.status_code == 201
        location, etag = created.headers["location"], created.headers["etag"]
        assert location == f"/users/{created.json()['user_id']}"
        again = await client.get(location, headers={"If-None-Match": etag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
        deleted = await client.delete(location)
        assert (deleted.status_code, deleted.content) == (204, b"")
        gone = await client.get(location)
        assert gone.status_code == 404


async def test_not_modified_for_user_123(live: Stack) -> None:
    """If-None-Match with /users/123's ETag is answered 304, no body, through the gateway."""
    async with httpx.AsyncClient(base_url=live.gateway) as client:
        first = await client.get("/users/123")
        etag = first.headers["etag"]
        response = await client.get("/users/123", headers={"If-None-Match": etag})
    assert (response.status_code, response.content, response.headers["etag"]) == (304, b"", etag)


async def test_upstream_problem_is_relayed_byte_for_byte(live: Stack) -> None:
    """The users mock's 404 problem+json is the same through the gateway as directly."""
    headers = {"X-Request-ID": "same-id-both-ways"}
    async with httpx.AsyncClient() as client:
        direct = await client.get(live.users + "/users/999999", headers=headers)
        proxied = await client.get(live.gateway + "/users/999999", headers=headers)
    assert proxied.status_code == direct.status_code == 404
    assert proxied.headers["content-type"] == direct.headers["content-type"]
    assert proxied.headers["content-type"].startswith("application/problem+json")
    assert proxied.content == direct.content


async def test_response_fields_come_back_unchanged(live: Stack) -> None:
    """The upstream's end-to-end fields, repeated ones as separate lines, reach the client."""
    extra = [
        ("x-echo-header", "x-multi: one"),
        ("x-echo-header", 'x-odd: a,b;  c="d"'),
        ("x-echo-header", "x-multi: two"),
        ("x-echo-header", "cache-control: no-store"),
    ]
    response = await send_raw(
        live.gateway, b"/echo/f", headers=[(k.encode(), v.encode()) for k, v in extra]
    )
    assert response.status == 200
    assert response.get_list("x-multi") == ["one", "two"]
    assert response.get_list("x-odd") == ['a,b;  c="d"']
    assert response.get_list("cache-control") == ["no-store"]
    assert response.get_list("content-type") == ["application/json"]
    assert response.get_list("content-length") == [str(len(response.body))]
    assert response.get_list("server") == ["uvicorn"]  # the upstream's, passed on


async def test_set_cookie_lines_stay_separate(live: Stack) -> None:
    """/users/session's two Set-Cookie fields reach the client as two lines, unmerged."""
    response = await send_raw(live.gateway, b"/users/session")
    assert response.status == 200
    cookies = response.get_list("set-cookie")
    assert len(cookies) == 2
    assert cookies[0].startswith("session=")
    assert cookies[1].startswith("visits=1;")
    async with httpx.AsyncClient(base_url=live.gateway) as client:
        proxied = await client.get("/users/session")
    assert [c.split("=")[0] for c in proxied.headers.get_list("set-cookie")] == [
        "session",
        "visits",
    ]


# --------------------------------------------------------------------------- hop-by-hop


async def test_hop_by_hop_request_fields_are_dropped(live: Stack) -> None:
    """Hop-by-hop fields and those named in Connection never reach the upstream."""
    response = await send_raw(
        live.gateway,
        b"/echo/hop",
        headers=[
            (b"Connection", b"X-Hop, x-other-hop ,X-Request-ID, X-Forwarded-For, Via"),
            (b"X-Hop", b"secret"),
            (b"X-Other-Hop", b"secret"),
            (b"X-Kept", b"yes"),
            (b"Keep-Alive", b"timeout=5"),
            (b"Proxy-Connection", b"keep-alive"),
            (b"TE", b"trailers"),
            (b"Trailer", b"X-Checksum"),
            (b"Upgrade", b"h2c"),
            (b"Proxy-Authorization", b"Basic dXNlcjpwYXNz"),
            (b"X-Forwarded-For", b"6.6.6.6"),
            (b"Via", b"1.0 fred"),
        ],
    )
    assert response.status == 200
    _, seen = received(live)
    names = [name for name, _ in seen["headers"]]
    hop = {"connection", "x-hop", "x-other-hop", "keep-alive", "proxy-connection", "te"}
    assert not hop & set(names)
    assert not {"trailer", "upgrade", "proxy-authorization", "transfer-encoding"} & set(names)
    assert fields(seen, "x-kept") == ["yes"]
    # Strip first, then add: the gateway's own fields survive being named in Connection.
    assert fields(seen, "x-forwarded-for") == ["127.0.0.1"]
    assert fields(seen, "via") == ["1.1 backbone-gateway"]
    (request_id,) = fields(seen, "x-request-id")
    assert REQUEST_ID.match(request_id)
    assert response.get_list("x-request-id") == [request_id]


async def test_hop_by_hop_response_fields_are_dropped(live: Stack) -> None:
    """Hop-by-hop fields of the upstream's answer, and those it names in Connection, stay."""
    sent = [
        b"connection: x-secret, X-Other-Secret",
        b"x-secret: 1",
        b"x-other-secret: 2",
        b"keep-alive: timeout=5, max=100",
        b"upgrade: h2c",
        b"proxy-authenticate: Basic realm=upstream",
        b"proxy-connection: keep-alive",
        b"trailer: x-checksum",
        b"x-kept: yes",
    ]
    response = await send_raw(
        live.gateway, b"/echo/hop", headers=[(b"x-echo-header", value) for value in sent]
    )
    assert response.status == 200
    names = {name for name, _ in response.headers}
    dropped = {"x-secret", "x-other-secret", "keep-alive", "upgrade", "proxy-authenticate"}
    assert not (dropped | {"proxy-connection", "trailer"}) & names
    assert response.get_list("connection") in ([], ["close"])  # the gateway's own, if any
    assert response.get_list("x-kept") == ["yes"]


# --------------------------------------------------------------------------- forwarding


FORGED = {
    "X-Forwarded-For": "6.6.6.6",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
    "Forwarded": "for=6.6.6.6;proto=https",
    "X-Real-IP": "6.6.6.6",
    "Via": "1.0 fred",
}


async def test_forwarding_fields_from_an_untrusted_peer_are_replaced(live: Stack) -> None:
    """From an untrusted peer: XFF is the peer, proto and host are the request's own."""
    async with httpx.AsyncClient(base_url=live.gateway) as client:
        response = await client.get("/echo/fwd", headers=FORGED)
    assert response.status_code == 200
    url, seen = received(live)
    assert fields(seen, "host") == [netloc(url)]
    assert fields(seen, "x-forwarded-for") == ["127.0.0.1"]
    assert fields(seen, "x-forwarded-proto") == ["http"]
    assert fields(seen, "x-forwarded-host") == [netloc(live.gateway)]
    assert fields(seen, "via") == ["1.0 fred, 1.1 backbone-gateway"]
    assert fields(seen, "forwarded") == fields(seen, "x-real-ip") == []


async def test_forwarding_fields_from_a_trusted_proxy_are_extended() -> None:
    """From a trusted proxy: the XFF chain is extended, its proto and host are believed."""
    async with (
        run_stack(trusted_proxies=["127.0.0.1/32"]) as stack,
        httpx.AsyncClient(base_url=stack.gateway) as client,
    ):
        headers = [*FORGED.items(), ("X-Forwarded-For", "7.7.7.7")]
        response = await client.get("/echo/fwd", headers=headers)
        assert response.status_code == 200
        url, seen = received(stack)
        assert fields(seen, "host") == [netloc(url)]
        assert fields(seen, "x-forwarded-for") == ["6.6.6.6, 7.7.7.7, 127.0.0.1"]
        assert fields(seen, "x-forwarded-proto") == ["https"]
        assert fields(seen, "x-forwarded-host") == ["evil.example"]
        assert fields(seen, "via") == ["1.0 fred, 1.1 backbone-gateway"]
        stack.echo[0].requests.clear()
        stack.echo[1].requests.clear()
        # Even from a trusted proxy, a chain named in Connection is hop-by-hop.
        hop = await client.get(
            "/echo/fwd", headers={"Connection": "X-Forwarded-For", "X-Forwarded-For": "6.6.6.6"}
        )
        assert hop.status_code == 200
        _, seen = received(stack)
        assert fields(seen, "x-forwarded-for") == ["127.0.0.1"]


@pytest.mark.parametrize("steer", ["host", "x-forwarded-host", "absolute-form"])
async def test_request_cannot_steer_routing(
    live: Stack, bystander: tuple[EchoApp, str], steer: str
) -> None:
    """Host, X-Forwarded-Host or an absolute-form target naming another host change nothing."""
    other_app, other_url = bystander
    other = netloc(other_url).encode()
    target, host, headers = b"/echo/x", None, []
    if steer == "host":
        host = other
    elif steer == "x-forwarded-host":
        headers.append((b"X-Forwarded-Host", other))
    else:
        target = b"http://" + other + b"/echo/x"
    response = await send_raw(live.gateway, target, host=host, headers=headers)
    assert response.status == 200
    url, seen = received(live)
    assert seen["raw_path"] == "/echo/x"
    assert fields(seen, "host") == [netloc(url)]
    assert other_app.requests == []


async def test_absolute_form_to_an_unrouted_path_contacts_nobody(
    live: Stack, bystander: tuple[EchoApp, str]
) -> None:
    """An absolute-form target whose path matches no route is a 404, forwarded nowhere."""
    other_app, other_url = bystander
    response = await send_raw(live.gateway, other_url.encode() + b"/x")
    assert response.status == 404
    assert live.echo_requests == other_app.requests == []


# --------------------------------------------------------------------------- path safety


REFUSED = [
    "/users/../orders/1",
    "/users/./123",
    "/echo/..",
    "/echo/.",
    "/echo/./x",
    "/echo/x/../../users/123",
    "/echo/%2e%2e/x",
    "/echo/%2E%2E/x",
    "/echo/.%2e/x",
    "/echo/%2e/x",
    "/echo/%252e%252e/x",
    "/echo/%25252e%25252e/x",
    "/echo/a%2fb",
    "/echo/a%2Fb",
    "/echo/a%252fb",
    "/echo/..%2f..%2fusers",
    "/echo/a%5cb",
    "/echo/a%255cb",
    "/echo/a\\b",
    "/echo/..\\users",
    "/echo/%00",
    "/echo/a%2500b",
    "/echo/a%0d%0aX-Injected:%201",
    "/echo/a%09b",
    "/echo/a%7fb",
]
UNROUTED = [
    "/users@other-host/x",
    "/users@127.0.0.1:1/x",
    "/usersX",
    "/echoX",
    "/echo-x/y",
    "/echo.json",
    "/echo;x",
    "/echo@127.0.0.1:1/x",
    "/users%2f..%2forders/1",
    "/echo%2fx",
    "/echo\\x",
    "//echo",
    "//echo/x",
    "/./echo/x",
    "/ECHO/x",
]


@pytest.mark.parametrize(
    ("path", "status"), [(p, 400) for p in REFUSED] + [(p, 404) for p in UNROUTED]
)
async def test_route_escapes_are_refused(
    live: Stack, bystander: tuple[EchoApp, str], path: str, status: int
) -> None:
    """Dot segments, hidden separators, controls: 400; no route: 404; nothing forwarded."""
    response = await send_raw(live.gateway, path.encode())
    assert response.status == status
    assert response.get_list("content-type") == ["application/problem+json"]
    problem = response.json()
    assert problem["status"] == status
    if status == 400:
        assert (problem["detail"], problem["instance"]) == (PATH_REFUSED, path)
    else:
        assert problem["detail"] == "Not Found"
    # The gateway's own answer: the upstreams' uvicorn would have sent "server: uvicorn".
    assert response.get_list("server") == []
    assert live.echo_requests == bystander[0].requests == []


@pytest.mark.parametrize("path", [b"/echo/\x00", b"/echo/a\x7fb", b"/users/\x01/../orders"])
async def test_raw_control_bytes_are_refused(live: Stack, path: bytes) -> None:
    """Raw control bytes in the target are refused (by the server or the gateway)."""
    response = await send_raw(live.gateway, path)
    assert response.status == 400
    assert live.echo_requests == []


# --------------------------------------------------------------------------- cookies


async def test_cookies_never_reach_another_client(live: Stack) -> None:
    """A session cookie set for client A never appears in client B's request."""
    async with (
        httpx.AsyncClient(base_url=live.gateway) as alice,
        httpx.AsyncClient(base_url=live.gateway) as bob,
    ):
        first = (await alice.get("/users/session")).json()
        assert first["received_cookies"] == {}
        seen_by_bob = (await bob.get("/users/session")).json()
        assert seen_by_bob["received_cookies"] == {}
        # Alice's own client sends her cookies back, through the gateway, unchanged.
        second = (await alice.get("/users/session")).json()
        assert second["received_cookies"] == {"session": first["session"], "visits": "1"}
        seen_by_bob = (await bob.get("/users/session")).json()
        assert seen_by_bob["received_cookies"]["session"] != first["session"]
    anonymous = await send_raw(live.gateway, b"/users/session")
    assert anonymous.json()["received_cookies"] == {}


# --------------------------------------------------------------------------- encodings


async def test_gzip_body_is_byte_identical(live: Stack) -> None:
    """/users/stats through the gateway: the same gzip bytes, encoding and length as direct."""

    async def fetch(client: httpx.AsyncClient, url: str) -> tuple[httpx.Headers, bytes]:
        async with client.stream("GET", url + "/users/stats") as response:
            assert response.status_code == 200
            return response.headers, b"".join([chunk async for chunk in response.aiter_raw()])

    async with httpx.AsyncClient() as client:
        direct_headers, direct = await fetch(client, live.users)
        proxied_headers, proxied = await fetch(client, live.gateway)
    assert proxied == direct
    assert proxied[:2] == b"\x1f\x8b"  # still gzip
    assert proxied_headers.get_list("content-encoding") == ["gzip"]
    assert proxied_headers["content-length"] == direct_headers["content-length"]
    assert int(proxied_headers["content-length"]) == len(proxied)


async def test_no_accept_encoding_is_added(live: Stack) -> None:
    """A request without Accept-Encoding reaches the upstream without one (nothing added)."""
    await send_raw(live.gateway, b"/echo/plain")
    _, seen = received(live)
    names = {name for name, _ in seen["headers"]}
    assert names == GATEWAY_FIELDS


# --------------------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_returned_not_followed(
    live: Stack, bystander: tuple[EchoApp, str], status: int
) -> None:
    """An upstream redirect reaches the client as it is; the gateway does not follow it."""
    other_app, other_url = bystander
    location = other_url + "/elsewhere?x=1"
    headers = [("x-echo-status", str(status)), ("x-echo-header", f"location: {location}")]
    async with httpx.AsyncClient(base_url=live.gateway, follow_redirects=False) as client:
        response = await client.post("/echo/r", headers=headers, content=b"body")
    assert response.status_code == status
    assert response.headers.get_list("location") == [location]
    received(live)
    assert other_app.requests == []


async def test_proxy_environment_variables_are_ignored(
    monkeypatch: pytest.MonkeyPatch, bystander: tuple[EchoApp, str]
) -> None:
    """HTTP_PROXY and friends in the environment do not divert upstream traffic."""
    other_app, other_url = bystander
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, other_url)
        monkeypatch.setenv(name.lower(), other_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with (
        run_stack() as stack,
        httpx.AsyncClient(base_url=stack.gateway, trust_env=False) as client,
    ):
        response = await client.get("/echo/via-env")
        users = await client.get("/users/123")
        assert (response.status_code, users.status_code) == (200, 200)
        received(stack)
    assert other_app.requests == []


# --------------------------------------------------------------------------- request id


@pytest.mark.parametrize("request_id", ["abc", "A-Z.0_9:x", "x" * 128])
async def test_valid_request_id_is_kept(live: Stack, request_id: str) -> None:
    """A valid X-Request-ID is sent upstream and returned unchanged."""
    async with httpx.AsyncClient(base_url=live.gateway) as client:
        response = await client.get("/echo/id", headers={"X-Request-ID": request_id})
    _, seen = received(live)
    assert fields(seen, "x-request-id") == [request_id]
    assert response.headers.get_list("x-request-id") == [request_id]


@pytest.mark.parametrize(
    "request_id", [b"x" * 129, b"has space", b"semi;colon", b"slash/", b"caf\xe9", b""]
)
async def test_invalid_request_id_is_replaced(live: Stack, request_id: bytes) -> None:
    """An invalid X-Request-ID is replaced by a new valid one, upstream and in the answer."""
    response = await send_raw(live.gateway, b"/echo/id", headers=[(b"X-Request-ID", request_id)])
    _, seen = received(live)
    (sent_upstream,) = fields(seen, "x-request-id")
    assert REQUEST_ID.match(sent_upstream)
    assert sent_upstream != request_id.decode("latin-1")
    assert response.get_list("x-request-id") == [sent_upstream]


async def test_upstream_request_id_is_replaced(live: Stack) -> None:
    """An X-Request-ID the upstream answers with is replaced by the gateway's."""
    headers = {"X-Request-ID": "client-id", "x-echo-header": "X-Request-ID: upstream-id"}
    async with httpx.AsyncClient(base_url=live.gateway) as client:
        response = await client.get("/echo/id", headers=headers)
    assert response.headers.get_list("x-request-id") == ["client-id"]


# --------------------------------------------------------------------------- streaming


async def test_large_response_is_streamed_intact(live: Stack) -> None:
    """/users/export.ndjson?count=100000 through the gateway: same bytes, chunked."""

    async def fetch(client: httpx.AsyncClient, url: str) -> tuple[httpx.Headers, str, int]:
        digest, size = hashlib.sha256(), 0
        async with client.stream("GET", url + "/users/export.ndjson?count=100000") as response:
            assert response.status_code == 200
            async for chunk in response.aiter_raw():
                digest.update(chunk)
                size += len(chunk)
        return response.headers, digest.hexdigest(), size

    async with httpx.AsyncClient(timeout=30) as client:
        _, direct, direct_size = await fetch(client, live.users)
        headers, proxied, proxied_size = await fetch(client, live.gateway)
    assert (proxied, proxied_size) == (direct, direct_size)
    assert proxied_size > 5_000_000
    assert "content-length" not in headers
    assert headers["transfer-encoding"] == "chunked"


async def test_large_request_body_arrives_intact() -> None:
    """A 5 MB body, declared or chunked, reaches the upstream intact (sha256)."""
    body = hashlib.sha256(b"seed").digest() * (5_000_000 // 32)

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 256 * 1024):
            yield body[start : start + 256 * 1024]

    async with (
        run_stack(max_body_bytes=10_000_000) as stack,
        httpx.AsyncClient(base_url=stack.gateway, timeout=30) as client,
    ):
        for content in (body, pieces()):
            response = await client.post("/echo/big", content=content)
            assert response.status_code == 200
            assert response.json()["body_sha256"] == sha256(body)
        seen = stack.echo_requests
        assert [(r["body_length"], r["body_sha256"]) for r in seen] == [
            (len(body), sha256(body))
        ] * 2
