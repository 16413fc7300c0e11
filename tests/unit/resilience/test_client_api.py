"""ResilientClient speaks httpx: verbs, request options, stream(), send(), client lifecycle."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from backbone.resilience import ResilientClient, RetryExhaustedError

from .conftest import Script, Tracker

MakeClient = Callable[..., ResilientClient]


def _echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "method": request.method,
            "url": str(request.url),
            "headers": dict(request.headers),
            "body": request.content.decode(),
            "timeout": request.extensions.get("timeout"),
            "trace": request.extensions.get("trace_id"),
        },
    )


@pytest.mark.parametrize("verb", ["get", "options", "head", "delete"])
async def test_verbs_without_body(make_client: MakeClient, verb: str) -> None:
    """get/options/head/delete send their method with params, headers and extensions."""
    script = Script(503, 200)
    async with make_client(script) as client:
        response = await getattr(client, verb)(
            "/items", params={"q": "a b"}, headers={"X-T": "1"}, extensions={"trace_id": "t"}
        )
    assert response.status_code == 200
    request = script.requests[-1]
    assert request.method == verb.upper()
    assert str(request.url) == "http://svc/items?q=a+b"
    assert request.headers["x-t"] == "1"
    assert request.extensions["trace_id"] == "t"
    assert script.calls == 2


@pytest.mark.parametrize("verb", ["post", "put", "patch"])
async def test_verbs_with_body(make_client: MakeClient, verb: str) -> None:
    """post/put/patch send json, content and form bodies like httpx."""
    async with make_client(_echo) as client:
        sent_json = (await getattr(client, verb)("/a", json={"k": 1})).json()
        sent_content = (await getattr(client, verb)("/a", content=b"raw")).json()
        sent_form = (await getattr(client, verb)("/a", data={"f": "v"})).json()
    assert sent_json["method"] == verb.upper()
    assert json.loads(sent_json["body"]) == {"k": 1}
    assert sent_content["body"] == "raw"
    assert sent_form["body"] == "f=v"


async def test_request_passes_auth_timeout_and_redirects(make_client: MakeClient) -> None:
    """auth, timeout and follow_redirects reach httpx; redirects are followed when asked."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(302, headers={"Location": "/new"})
        return _echo(request)

    async with make_client(handler) as client:
        plain = await client.request("GET", "/old")
        followed = await client.request(
            "GET", "/old", auth=("u", "p"), timeout=2.5, follow_redirects=True
        )
    assert plain.status_code == 302
    body = followed.json()
    assert body["url"] == "http://svc/new"
    assert body["headers"]["authorization"] == "Basic dTpw"
    assert body["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}


async def test_per_request_cookies_warn_like_httpx(make_client: MakeClient) -> None:
    """cookies= per request is deprecated in httpx; ResilientClient warns the same way."""
    async with make_client(_echo) as client:
        with pytest.warns(DeprecationWarning, match="cookies"):
            response = await client.request("GET", "/c", cookies={"a": "1"})
    assert response.json()["headers"]["cookie"] == "a=1"


async def _body() -> AsyncIterator[bytes]:
    yield b"chunk-1,"
    yield b"chunk-2"


async def test_stream_yields_an_unread_response(make_client: MakeClient) -> None:
    """stream() yields the response before its body is read, after retrying for headers."""
    script = Script(503, httpx.Response(200, content=_body()))
    async with make_client(script) as client, client.stream("GET", "/s", json={}) as response:
        assert response.status_code == 200
        open_inside = not response.is_closed
        assert [chunk async for chunk in response.aiter_bytes()] == [b"chunk-1,", b"chunk-2"]
    assert open_inside
    assert response.is_closed
    assert script.calls == 2


async def test_http_date_uses_the_real_wall_clock_by_default() -> None:
    """Without now=, an HTTP-date Retry-After is measured against the real UTC time."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    past = httpx.Response(503, headers={"Retry-After": "Sat, 01 Jan 2000 00:00:00 GMT"})
    future = httpx.Response(503, headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"})
    transport = httpx.MockTransport(Script(past, future, 200))
    async with ResilientClient(transport=transport, sleep=sleep) as client:
        assert (await client.get("http://h/")).status_code == 200
    assert waits == [1.0, 60.0]


async def test_constructor_passthrough() -> None:
    """base_url, headers and timeout build the owned httpx.AsyncClient."""
    client = ResilientClient(
        transport=httpx.MockTransport(_echo),
        base_url="http://api",
        headers={"User-Agent": "backbone-test"},
        timeout=3.0,
    )
    async with client:
        body = (await client.get("/p")).json()
    assert body["url"] == "http://api/p"
    assert body["headers"]["user-agent"] == "backbone-test"
    assert body["timeout"]["read"] == 3.0
    assert client.client.is_closed


async def test_default_timeout_is_httpx_default() -> None:
    """Without timeout=, the owned client keeps httpx's default of 5 s."""
    async with ResilientClient(transport=httpx.MockTransport(_echo)) as client:
        assert (await client.get("http://h/")).json()["timeout"]["read"] == 5.0


async def test_borrowed_client_is_never_closed() -> None:
    """A client passed as client= is used but left open, by aclose() and by async with."""
    inner = httpx.AsyncClient(transport=httpx.MockTransport(Script(503, 200)))
    async with inner:
        resilient = ResilientClient(client=inner)
        async with resilient:
            assert (await resilient.get("http://h/")).status_code == 200
        await resilient.aclose()
        assert not inner.is_closed
        assert resilient.client is inner
    assert inner.is_closed


async def test_client_with_empty_base_url_is_accepted() -> None:
    """An empty base_url (str or httpx.URL) is the default, not a conflicting option."""
    async with httpx.AsyncClient() as inner:
        assert ResilientClient(client=inner, base_url=httpx.URL("")).client is inner


async def test_owned_client_is_closed_by_aclose() -> None:
    """aclose() closes the client ResilientClient created."""
    resilient = ResilientClient(transport=httpx.MockTransport(_echo))
    await resilient.aclose()
    assert resilient.client.is_closed


@pytest.mark.parametrize(
    "kwargs",
    [
        {"transport": httpx.MockTransport(_echo)},
        {"base_url": "http://x"},
        {"base_url": httpx.URL("http://x")},
        {"headers": {"a": "b"}},
        {"timeout": 1.0},
        {"timeout": None},
    ],
)
async def test_client_and_client_options_conflict(kwargs: dict[str, object]) -> None:
    """client= with transport/base_url/headers/timeout is ambiguous: refused."""
    async with httpx.AsyncClient() as inner:
        with pytest.raises(ValueError, match="either client="):
            ResilientClient(client=inner, **kwargs)  # type: ignore[arg-type]


async def test_post_through_verbs_is_not_retried(make_client: MakeClient) -> None:
    """client.post() without an opt-in makes one attempt."""
    script = Script(503, 200)
    async with make_client(script) as client:
        with pytest.raises(RetryExhaustedError):
            await client.post("/x", json={"a": 1})
    assert script.calls == 1


async def test_send_retries_a_built_request(make_client: MakeClient) -> None:
    """send() retries an httpx.Request built by the caller and returns the read response."""
    script = Script(503, 502, 200)
    request = httpx.Request("PUT", "http://svc/items/1", json={"a": 1}, headers={"X-T": "1"})
    async with make_client(script) as client:
        response = await client.send(request)
    assert response.status_code == 200
    assert response.json() == {"call": 3}
    assert script.bodies == [b'{"a":1}'] * 3
    assert all(sent.headers["x-t"] == "1" for sent in script.requests)


async def test_send_uses_the_client_defaults(make_client: MakeClient) -> None:
    """A request from client.build_request() gets the client's base URL, headers and timeout."""
    async with make_client(_echo, headers={"User-Agent": "ua"}, timeout=2.0) as client:
        request = client.client.build_request("GET", "/p")
        body = (await client.send(request, auth=("u", "p"))).json()
    assert body["url"] == "http://svc/p"
    assert body["headers"]["user-agent"] == "ua"
    assert body["headers"]["authorization"] == "Basic dTpw"
    assert body["timeout"]["read"] == 2.0


async def test_send_follows_redirects_when_asked(make_client: MakeClient) -> None:
    """follow_redirects reaches httpx.AsyncClient.send, as with request()."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(302, headers={"Location": "/new"})
        return _echo(request)

    async with make_client(handler) as client:
        plain = await client.send(httpx.Request("GET", "http://svc/old"))
        followed = await client.send(httpx.Request("GET", "http://svc/old"), follow_redirects=True)
    assert plain.status_code == 302
    assert followed.json()["url"] == "http://svc/new"


async def test_send_stream_false_reads_the_body(make_client: MakeClient) -> None:
    """send(stream=False) returns a response whose body is read and whose stream is closed."""
    tracker = Tracker()
    statuses = iter([503, 200])
    async with make_client(lambda request: tracker.response(next(statuses))) as client:
        response = await client.send(httpx.Request("GET", "http://svc/x"))
    assert response.content == b"body"
    assert (tracker.opened, tracker.closed) == (2, 2)


async def test_send_stream_true_leaves_the_response_to_the_caller(make_client: MakeClient) -> None:
    """send(stream=True): failed attempts are closed, the returned one is open and unread."""
    tracker = Tracker()
    statuses = iter([503, 502, 200])
    async with make_client(lambda request: tracker.response(next(statuses))) as client:
        response = await client.send(httpx.Request("GET", "http://svc/x"), stream=True)
        assert response.status_code == 200
        assert (tracker.opened, tracker.closed) == (3, 2)
        assert [chunk async for chunk in response.aiter_bytes()] == [b"body"]
        await response.aclose()
    assert tracker.closed == 3


async def test_send_stream_true_exhaustion_closes_every_response(make_client: MakeClient) -> None:
    """send(stream=True) that gives up leaves no response open, the last one included."""
    tracker = Tracker()
    async with make_client(lambda request: tracker.response(503)) as client:
        with pytest.raises(RetryExhaustedError) as caught:
            await client.send(httpx.Request("GET", "http://svc/x"), stream=True)
    assert (tracker.opened, tracker.closed) == (4, 4)
    assert caught.value.last_response is not None


async def test_send_retry_false_makes_one_attempt(make_client: MakeClient) -> None:
    """send(retry=False) sends a GET once and gives up on its failure."""
    script = Script(503, 200)
    async with make_client(script) as client:
        with pytest.raises(RetryExhaustedError, match=r"retry=False"):
            await client.send(httpx.Request("GET", "http://svc/x"), retry=False)
    assert script.calls == 1


async def test_send_retry_true_opts_a_post_in(make_client: MakeClient) -> None:
    """A POST is sent once by default; send(retry=True) retries it."""
    script = Script(503, 503, 200)
    async with make_client(script) as client:
        with pytest.raises(RetryExhaustedError, match="not idempotent"):
            await client.send(httpx.Request("POST", "http://svc/x", content=b"b"))
        response = await client.send(
            httpx.Request("POST", "http://svc/x", content=b"b"), retry=True
        )
    assert response.status_code == 200
    assert script.calls == 3


@pytest.mark.parametrize("stream", [False, True])
async def test_send_does_not_replay_a_streamed_body(make_client: MakeClient, stream: bool) -> None:
    """A request whose body is an async iterator is sent once, even with retry=True."""
    script = Script(503, 200)
    request = httpx.Request("PUT", "http://svc/x", content=_body())
    async with make_client(script) as client:
        with pytest.raises(RetryExhaustedError, match="cannot be replayed"):
            await client.send(request, stream=stream, retry=True)
    assert script.bodies == [b"chunk-1,chunk-2"]
