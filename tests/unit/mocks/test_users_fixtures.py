"""The User Service's proxy fixtures: NDJSON export, gzip stats, slow, session cookies."""

from __future__ import annotations

import gzip
import json
import re
import types

import httpx
import pytest
from fastapi import FastAPI

from backbone.mocks.users.routes import fixtures
from tests.unit.mocks.conftest import MAX_DELAY, assert_problem, run_asgi


def _record(n: int) -> dict[str, object]:
    return {"seq": n, "user_id": n, "name": f"User {n}", "email": f"user{n}@example.com"}


async def test_export_streams_count_records(users: httpx.AsyncClient) -> None:
    """count=3 is exactly three deterministic NDJSON lines, uncompressed, no Content-Length."""
    response = await users.get(
        "/users/export.ndjson", params={"count": 3}, headers={"Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert "content-length" not in response.headers
    assert "content-encoding" not in response.headers
    assert response.text.endswith("\n")
    assert [json.loads(line) for line in response.text.splitlines()] == [
        _record(1),
        _record(2),
        _record(3),
    ]


async def test_export_default_is_ten_thousand_identical_records(
    users: httpx.AsyncClient,
) -> None:
    """Without count, 10,000 records; two calls return identical bytes."""
    first = await users.get("/users/export.ndjson")
    lines = first.content.split(b"\n")
    assert (len(lines), lines[-1]) == (10_001, b"")
    assert json.loads(lines[9_999]) == _record(10_000)
    assert (await users.get("/users/export.ndjson")).content == first.content


async def test_export_is_sent_in_chunks_of_at_most_1000(users_app: FastAPI) -> None:
    """2,500 records leave as chunks of 1,000, 1,000 and 500 lines, without Content-Length."""
    sent = await run_asgi(users_app, "/users/export.ndjson", query=b"count=2500")
    start, *bodies = sent
    assert start["status"] == 200
    assert b"content-length" not in dict(start["headers"])
    chunks = [m["body"] for m in bodies if m["body"]]
    assert [chunk.count(b"\n") for chunk in chunks] == [1000, 1000, 500]
    assert all(m.get("more_body") for m in bodies[:3])
    assert chunks[1].startswith(b'{"seq":1001,')


async def test_export_pauses_between_chunks_within_the_cap(
    users_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pause waits between chunks (never before the first), cut to the configured cap."""
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(fixtures, "asyncio", types.SimpleNamespace(sleep=sleep))
    users_app.state.settings.max_export_pause_seconds = 0.05
    await run_asgi(users_app, "/users/export.ndjson", query=b"count=3000&pause=0.1")
    assert pauses == [0.05, 0.05]
    users_app.state.settings.max_export_pause_seconds = 0
    await run_asgi(users_app, "/users/export.ndjson", query=b"count=3000&pause=0.1")
    assert pauses == [0.05, 0.05]


@pytest.mark.parametrize(
    "query",
    [
        {"count": 0},
        {"count": 100_001},
        {"count": "many"},
        {"pause": -0.1},
        {"pause": 0.2},
        {"pause": "nan"},
    ],
)
async def test_export_parameters_are_bounded(
    users: httpx.AsyncClient, query: dict[str, object]
) -> None:
    """count 1..100,000 and pause 0..0.1, or a 422 problem before anything streams."""
    assert_problem(await users.get("/users/export.ndjson", params=query), 422)


async def _raw_stats(users: httpx.AsyncClient, **headers: str) -> tuple[httpx.Response, bytes]:
    """The stats response and its body as sent (still compressed)."""
    async with users.stream("GET", "/users/stats", headers=headers) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


async def test_stats_are_gzip_whatever_the_client_accepts(users: httpx.AsyncClient) -> None:
    """The body is gzip (mtime 0) with Content-Length of the compressed bytes, even for identity."""
    response, raw = await _raw_stats(users, **{"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(raw)
    assert raw[:2] == b"\x1f\x8b"
    assert raw[4:8] == b"\x00\x00\x00\x00"  # MTIME
    stats = json.loads(gzip.decompress(raw))
    assert stats == {"total": 3, "with_email": 2, "newest_user_id": 125}


async def test_stats_bytes_are_identical_until_the_store_changes(
    users: httpx.AsyncClient,
) -> None:
    """Two calls give the same bytes; a new user changes them."""
    _, first = await _raw_stats(users)
    _, second = await _raw_stats(users)
    assert second == first
    await users.post("/users", json={"name": "New", "email": "new@example.com"})
    stats = (await users.get("/users/stats")).json()
    assert stats == {"total": 4, "with_email": 3, "newest_user_id": 126}


async def test_stats_of_an_empty_store(users: httpx.AsyncClient) -> None:
    """With every user deleted: zero users, and no newest id."""
    for user_id in (123, 124, 125):
        await users.delete(f"/users/{user_id}")
    stats = (await users.get("/users/stats")).json()
    assert stats == {"total": 0, "with_email": 0, "newest_user_id": None}


@pytest.mark.parametrize(
    ("query", "waited"),
    [({"delay": 0}, 0.0), ({"delay": MAX_DELAY / 2}, MAX_DELAY / 2), ({}, MAX_DELAY)],
)
async def test_slow_waits_delay_within_the_cap(
    users: httpx.AsyncClient, query: dict[str, object], waited: float
) -> None:
    """delay seconds are waited (default 1 s), cut to the configured cap, and reported."""
    response = await users.get("/users/slow", params=query)
    assert response.status_code == 200
    assert response.json() == {"delay": waited}


@pytest.mark.parametrize("delay", ["-1", "60.5", "nan", "inf", "soon"])
async def test_slow_delay_is_bounded(users: httpx.AsyncClient, delay: str) -> None:
    """delay must be a number 0..60, or a 422 problem."""
    assert_problem(await users.get("/users/slow", params={"delay": delay}), 422)


async def test_slow_ends_when_the_client_disconnects(users_app: FastAPI) -> None:
    """A 60 s wait is abandoned at once when the client goes (run_asgi allows 5 s)."""
    users_app.state.settings.max_delay_seconds = 60
    sent = await run_asgi(users_app, "/users/slow", query=b"delay=60", disconnect=True)
    assert sent[0]["status"] == 200


async def _session(users: httpx.AsyncClient, cookie: str | None = None) -> httpx.Response:
    users.cookies.clear()
    headers = {"Cookie": cookie} if cookie is not None else {}
    response = await users.get("/users/session", headers=headers)
    assert response.status_code == 200
    return response


async def test_session_sets_two_cookies(users: httpx.AsyncClient) -> None:
    """Two separate Set-Cookie fields, exactly as the contract writes them, and no-store."""
    response = await _session(users)
    session, visits = response.headers.get_list("set-cookie")
    value = response.json()["session"]
    assert re.fullmatch(r"[0-9a-f]{32}", value)
    assert session == f"session={value}; Path=/; HttpOnly; SameSite=Lax"
    assert visits == "visits=1; Path=/; Max-Age=3600"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["received_cookies"] == {}


async def test_session_value_is_fresh_every_call(users: httpx.AsyncClient) -> None:
    """Each call sets a new random session value."""
    values = {(await _session(users)).json()["session"] for _ in range(5)}
    assert len(values) == 5


@pytest.mark.parametrize(
    ("cookie", "visits"),
    [
        ("visits=41", 42),
        ("visits=0", 1),
        ("visits=1000000", 1_000_001),
        ("visits=1000001", 1),
        ("visits=-1", 1),
        ("visits=1.5", 1),
        ("visits=abc", 1),
        ("visits=", 1),
        ("other=7", 1),
    ],
)
async def test_visits_counts_the_request_cookie(
    users: httpx.AsyncClient, cookie: str, visits: int
) -> None:
    """visits is the request's own cookie plus one, or 1 when absent or not 0..1,000,000."""
    response = await _session(users, cookie)
    assert response.json()["visits"] == visits
    assert response.headers.get_list("set-cookie")[1].startswith(f"visits={visits};")


async def test_session_echoes_the_request_cookies_and_stores_nothing(
    users: httpx.AsyncClient,
) -> None:
    """The body lists this request's cookies; the next request without cookies starts over."""
    with_cookies = await _session(users, "a=1; visits=5; session=abc")
    assert with_cookies.json()["received_cookies"] == {"a": "1", "visits": "5", "session": "abc"}
    without = await _session(users)
    assert without.json()["visits"] == 1
    assert without.json()["received_cookies"] == {}
