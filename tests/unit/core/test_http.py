"""The HTTP rules every layer shares: the methods served, the request id, problem+json."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi import FastAPI

from backbone.core.http import (
    HTTP_METHODS,
    PROBLEM_MEDIA_TYPE,
    encode_problem,
    new_request_id,
    request_id_from,
)
from backbone.core.metrics import HttpMetrics
from backbone.core.problems import problem_response

HEX_ID = re.compile(rb"[0-9a-f]{32}")
VALID_IDS = [b"a", b"abc.DEF_1:2-3", b"x" * 128]
INVALID_IDS = [b"", b"x" * 129, b"has space", b"semi;colon", "\u00e9".encode(), b"abc\n"]


def test_the_methods_are_the_seven_served() -> None:
    """Seven methods, in the order an Allow header lists them."""
    assert HTTP_METHODS == ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@pytest.mark.parametrize("method", [*HTTP_METHODS, "TRACE", "BREW"])
def test_metrics_count_the_methods_by_name_and_others_as_other(method: str) -> None:
    """A request is labelled with its method when it is one of HTTP_METHODS, else OTHER."""
    metrics = HttpMetrics()
    metrics.observe(method=method, route="/r", status=200, seconds=0.0)
    label = method if method in HTTP_METHODS else "OTHER"
    labels = {"method": label, "route": "/r", "status": "200"}
    assert metrics.registry.get_sample_value("http_requests_total", labels) == 1


async def test_405_allow_lists_methods_in_their_order(app: FastAPI) -> None:
    """Allow on a 405 lists the path's methods in HTTP_METHODS order, whatever the routes say."""

    @app.api_route("/many", methods=["OPTIONS", "DELETE", "GET"])
    async def many() -> None:
        return None

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/many")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, DELETE, OPTIONS"


@pytest.mark.parametrize("value", VALID_IDS)
def test_a_valid_request_id_is_kept_as_is(value: bytes) -> None:
    """A valid X-Request-ID is returned itself: no copy, no decoding."""
    headers = [(b"accept", b"*/*"), (b"x-request-id", value)]
    assert request_id_from(headers) is value


@pytest.mark.parametrize("value", INVALID_IDS)
def test_an_invalid_request_id_is_replaced(value: bytes) -> None:
    """Empty, too long, odd characters, a trailing newline: a fresh uuid4 hex instead."""
    assert HEX_ID.fullmatch(request_id_from([(b"x-request-id", value)]))


def test_a_missing_request_id_is_made_fresh_each_time() -> None:
    """No X-Request-ID: a new id, different every time."""
    first, second = request_id_from([]), request_id_from([(b"x-other", b"a")])
    assert HEX_ID.fullmatch(first)
    assert HEX_ID.fullmatch(second)
    assert first != second
    assert re.fullmatch(r"[0-9a-f]{32}", new_request_id())


def test_the_first_request_id_header_decides_and_the_name_is_configurable() -> None:
    """The first header of that name is the one judged; another name can be asked for."""
    headers = [(b"x-request-id", b"bad id"), (b"x-request-id", b"good"), (b"x-trace", b"t-1")]
    assert request_id_from(headers) != b"good"
    assert request_id_from(headers, name=b"x-trace") == b"t-1"


def test_a_bare_problem_has_type_title_status_and_its_length() -> None:
    """Only the required members, compact JSON; content-type and content-length to match."""
    body, headers = encode_problem(400)
    assert body == b'{"type":"about:blank","title":"Bad Request","status":400}'
    assert headers == [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]


def test_every_member_in_order_then_extra_members_and_headers() -> None:
    """Optional members when given, in RFC order, then extra members; given headers last."""
    body, headers = encode_problem(
        429,
        title="Slow down",
        detail="Too many requests \u2014 wait.",
        instance="/x",
        request_id="rid-1",
        type_="tag:t,2026:problem/rate-limited",
        extra={"retry_in": 2},
        headers=[(b"retry-after", b"2")],
    )
    members = json.loads(body)
    assert list(members) == [
        "type", "title", "status", "detail", "instance", "request_id", "retry_in",
    ]  # fmt: skip
    assert members["detail"] == "Too many requests \u2014 wait."
    assert "\u2014".encode() in body  # UTF-8, not escaped: the length counts bytes
    assert headers[1] == (b"content-length", str(len(body)).encode())
    assert headers[2:] == [(b"retry-after", b"2")]


def test_a_service_response_is_the_encoded_problem() -> None:
    """problem_response sends the bytes and headers encode_problem builds."""
    response = problem_response(
        413, detail="Too big.", instance="/u", request_id="r", headers={"Connection": "close"}
    )
    body, headers = encode_problem(
        413, detail="Too big.", instance="/u", request_id="r", headers=[(b"connection", b"close")]
    )
    assert (response.status_code, response.body, response.raw_headers) == (413, body, headers)
