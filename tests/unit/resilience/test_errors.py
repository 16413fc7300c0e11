"""The final exception: what every attempt did, the last response, the chained cause."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from backbone.resilience import AttemptRecord, ResilientClient, RetryExhaustedError

from .conftest import FakeTime, Script

MakeClient = Callable[..., ResilientClient]


async def test_message_lists_every_attempt(make_client: MakeClient) -> None:
    """The message names the request, the count, the reason and each attempt's outcome."""
    script = Script(503, httpx.ConnectTimeout("timed out"), 502, 500)
    async with make_client(script) as client:
        with pytest.raises(RetryExhaustedError) as caught:
            await client.get("/items", params={"q": "1"})
    message = str(caught.value)
    assert message.startswith("GET http://svc/items?q=1 failed after 4 attempts")
    assert "max_retries=3 exhausted" in message
    assert "#1: 503 Service Unavailable" in message
    assert "#2 after waiting 1s: ConnectTimeout('timed out')" in message
    assert "#3 after waiting 2s: 502 Bad Gateway" in message
    assert "#4 after waiting 4s: 500 Internal Server Error" in message


async def test_attempt_records(make_client: MakeClient, fake_time: FakeTime) -> None:
    """.attempts holds one record per attempt: number, method, url, outcome, wait, elapsed."""
    error = httpx.ReadTimeout("slow")
    async with make_client(Script(error, 503), max_retries=1) as client:
        with pytest.raises(RetryExhaustedError) as caught:
            await client.get("/a")
    assert caught.value.attempts == [
        AttemptRecord(
            number=1, method="GET", url="http://svc/a", status=None,
            error="ReadTimeout('slow')", wait=0.0, elapsed=0.0,
        ),
        AttemptRecord(
            number=2, method="GET", url="http://svc/a", status=503,
            error=None, wait=1.0, elapsed=1.0,
        ),
    ]  # fmt: skip


async def test_status_failure_chains_http_status_error(make_client: MakeClient) -> None:
    """A last failure by status chains an HTTPStatusError holding that (closed) response."""
    async with make_client(Script(503), max_retries=1) as client:
        with pytest.raises(RetryExhaustedError) as caught:
            await client.get("/a")
    error = caught.value
    assert isinstance(error.__cause__, httpx.HTTPStatusError)
    assert error.__cause__.response is error.last_response
    assert str(error.__cause__) == "503 Service Unavailable for GET http://svc/a"
    assert error.last_response is not None
    assert error.last_response.status_code == 503
    assert error.last_response.is_closed


async def test_exception_failure_chains_the_exception(make_client: MakeClient) -> None:
    """A last failure by exception chains that very exception; there is no last response."""
    last = httpx.ConnectError("refused again")
    async with make_client(Script(503, last), max_retries=1) as client:
        with pytest.raises(RetryExhaustedError) as caught:
            await client.get("/a")
    assert caught.value.__cause__ is last
    assert caught.value.last_response is None


def test_record_outcome_for_unknown_status() -> None:
    """An unregistered status is shown as its bare number."""
    record = AttemptRecord(
        number=1, method="GET", url="u", status=599, error=None, wait=0.0, elapsed=0.0
    )
    assert record.outcome == "599"
