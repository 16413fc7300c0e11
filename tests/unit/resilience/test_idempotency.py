"""Which requests may be retried: methods, Idempotency-Key, opt-ins, replayable bodies."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from backbone.resilience import ResilientClient, RetryExhaustedError, RetryPolicy

from .conftest import FakeTime, Script

MakeClient = Callable[..., ResilientClient]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("failure", [503, httpx.ConnectError("refused")])
async def test_non_idempotent_methods_are_not_retried(
    make_client: MakeClient, fake_time: FakeTime, method: str, failure: int | Exception
) -> None:
    """POST and PATCH get one attempt: the failure raises at once, saying why."""
    script = Script(failure, 200)
    async with make_client(script) as client:
        with pytest.raises(RetryExhaustedError, match="not idempotent") as caught:
            await client.request(method, "/x", json={"a": 1})
    assert script.calls == 1
    assert fake_time.waits == []
    assert len(caught.value.attempts) == 1


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"])
async def test_idempotent_methods_are_retried(make_client: MakeClient, method: str) -> None:
    """Every idempotent method is retried by default."""
    script = Script(503, 200)
    async with make_client(script) as client:
        assert (await client.request(method, "/x")).status_code == 200
    assert script.calls == 2


@pytest.mark.parametrize("header", ["Idempotency-Key", "idempotency-key"])
async def test_idempotency_key_makes_post_retryable(make_client: MakeClient, header: str) -> None:
    """A POST carrying an Idempotency-Key header is retried, with the same key each time."""
    script = Script(503, 503, 200)
    async with make_client(script) as client:
        response = await client.post("/x", json={"a": 1}, headers={header: "k-1"})
    assert response.status_code == 200
    assert [r.headers["idempotency-key"] for r in script.requests] == ["k-1"] * 3


async def test_idempotency_key_on_the_client_counts(make_client: MakeClient) -> None:
    """An Idempotency-Key set as a client default header counts too."""
    script = Script(503, 200)
    async with make_client(script, headers={"Idempotency-Key": "k"}) as client:
        assert (await client.patch("/x", content=b"x")).status_code == 200
    assert script.calls == 2


async def test_policy_opt_in_retries_post(make_client: MakeClient) -> None:
    """retry_non_idempotent=True retries POST and PATCH."""
    script = Script(503, 503, 200)
    policy = RetryPolicy(retry_non_idempotent=True)
    async with make_client(script, policy=policy) as client:
        assert (await client.post("/x", content=b"body")).status_code == 200
    assert script.calls == 3


async def test_per_call_opt_in_retries_patch(make_client: MakeClient) -> None:
    """retry=True on the call retries a PATCH."""
    script = Script(503, 200)
    async with make_client(script) as client:
        assert (await client.patch("/x", json={}, retry=True)).status_code == 200
    assert script.calls == 2


async def test_per_call_opt_out_disables_retries(make_client: MakeClient) -> None:
    """retry=False makes even a GET a single attempt."""
    script = Script(503, 200)
    async with make_client(script) as client:
        with pytest.raises(RetryExhaustedError, match=r"retry=False"):
            await client.get("/x", retry=False)
    assert script.calls == 1


async def test_methods_are_configurable(make_client: MakeClient) -> None:
    """A policy whose methods omit GET does not retry GET, and one with POST retries POST."""
    policy = RetryPolicy(methods=frozenset({"post"}))
    script = Script(503, 200)
    async with make_client(script, policy=policy) as client:
        with pytest.raises(RetryExhaustedError):
            await client.get("/x")
        assert (await client.post("/x")).status_code == 200
    assert script.calls == 2


async def _chunks() -> AsyncIterator[bytes]:
    yield b"part-1;"
    yield b"part-2"


async def test_streamed_body_is_sent_once(make_client: MakeClient) -> None:
    """An async-iterator body cannot be replayed: one attempt, even for PUT with retry=True."""
    script = Script(503, 200)
    async with make_client(script) as client:
        with pytest.raises(RetryExhaustedError, match="cannot be replayed") as caught:
            await client.put("/x", content=_chunks(), retry=True)
    assert script.calls == 1
    assert script.bodies == [b"part-1;part-2"]
    assert caught.value.last_response is not None


async def test_streamed_body_success_is_returned(make_client: MakeClient) -> None:
    """A streamed body that succeeds first time is simply sent."""
    script = Script(200)
    async with make_client(script) as client:
        assert (await client.put("/x", content=_chunks())).status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [
        ({"content": b"raw"}, b"raw"),
        ({"content": "text"}, b"text"),
        ({"json": {"a": 1}}, b'{"a":1}'),
        ({"data": {"a": "1"}}, b"a=1"),
    ],
)
async def test_replayable_bodies_are_resent_identically(
    make_client: MakeClient, kwargs: dict[str, object], body: bytes
) -> None:
    """bytes, str, json and form bodies are replayed byte for byte on each attempt."""
    script = Script(503, 503, 200)
    async with make_client(script) as client:
        assert (await client.put("/x", **kwargs)).status_code == 200  # type: ignore[arg-type]
    assert script.bodies == [body] * 3


async def test_multipart_files_are_replayed(make_client: MakeClient) -> None:
    """A multipart upload from a seekable file is sent whole on every attempt."""
    script = Script(503, 200)
    async with make_client(script) as client:
        files = {"f": ("a.txt", io.BytesIO(b"file-content"))}
        assert (await client.put("/x", files=files)).status_code == 200
    assert script.calls == 2
    assert script.bodies[0] == script.bodies[1]
    assert b"file-content" in script.bodies[1]
