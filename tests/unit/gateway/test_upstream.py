"""ProxyClient (httpx without cookies, redirects or env proxies) and the error mapping."""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
import pytest
from aiohttp.client_reqrep import ConnectionKey

from backbone.gateway.transport import _map_error
from backbone.gateway.upstream import ProxyClient

REQUEST = httpx.Request("GET", "http://users/users/1")


def _client(handler: httpx.MockTransport | None = None, **kwargs: object) -> ProxyClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            302,
            headers=[("set-cookie", "a=1; Path=/"), ("location", "http://users/elsewhere")],
            content=b"moved",
        )

    return ProxyClient(transport=handler or httpx.MockTransport(answer), timeout=httpx.Timeout(1))


async def test_send_goes_straight_to_the_transport_and_keeps_no_cookie() -> None:
    """The lean path returns the upstream's answer as it is, and stores no cookie."""
    client = _client()
    response = await client.send(httpx.Request("GET", "http://users/x"))
    assert response.status_code == 302
    assert response.content == b"moved"
    assert list(client.cookies.jar) == []
    await client.aclose()


class _Chunks(httpx.AsyncByteStream):
    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield b"mo"
        yield b"ved"


async def test_streamed_send_leaves_the_body_unread() -> None:
    """stream=True returns before reading the body (the caller reads and closes it)."""
    client = _client(httpx.MockTransport(lambda request: httpx.Response(200, stream=_Chunks())))
    response = await client.send(httpx.Request("GET", "http://users/x"), stream=True)
    assert not response.is_stream_consumed
    assert await response.aread() == b"moved"
    await client.aclose()


async def test_redirects_are_never_followed_by_default() -> None:
    """A 302 is the answer: the client gets it."""
    client = _client()
    response = await client.get("http://users/x")
    assert response.status_code == 302
    await client.aclose()


async def test_httpx_machinery_still_works_when_asked_for() -> None:
    """Auth, hooks or follow_redirects=True take httpx's own path (and still keep no cookie)."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        if request.url.path == "/x":
            return httpx.Response(302, headers={"location": "/y", "set-cookie": "a=1"})
        return httpx.Response(200)

    client = _client(httpx.MockTransport(answer))
    response = await client.send(
        httpx.Request("GET", "http://users/x"), auth=("u", "p"), follow_redirects=True
    )
    assert response.status_code == 200
    assert seen[0].startswith("Basic ")
    assert list(client.cookies.jar) == []
    client.event_hooks["response"] = [lambda response: asyncio.sleep(0)]
    assert (await client.send(httpx.Request("GET", "http://users/y"))).status_code == 200
    await client.aclose()
    with pytest.raises(RuntimeError):
        await client.send(httpx.Request("GET", "http://users/y"))


def _key() -> ConnectionKey:
    return ConnectionKey("h", 1, False, True, None, None, None)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("slow connect"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("slow read"), httpx.ReadTimeout),
        (TimeoutError(), httpx.ReadTimeout),
        (
            aiohttp.ClientConnectorError(_key(), ConnectionRefusedError(111, "refused")),
            httpx.ConnectError,
        ),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("truncated"), httpx.RemoteProtocolError),
        (aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
    ],
)
def test_aiohttp_failures_become_the_httpx_exception_that_says_what_happened(
    error: BaseException, expected: type[httpx.TransportError]
) -> None:
    """A refused connection is ConnectError (a 502), a slow one a timeout (a 504)."""
    mapped = _map_error(error, REQUEST)
    assert type(mapped) is expected
    assert mapped.request is REQUEST
    assert str(mapped)
