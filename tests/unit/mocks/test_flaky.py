"""The flaky service behaves as contracts/openapi/flaky.yaml says."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fastapi import FastAPI

from backbone.core import PROBLEM_MEDIA_TYPE
from backbone.mocks.flaky import create_app
from backbone.mocks.flaky.config import FlakySettings, get_settings
from backbone.mocks.flaky.schemas import Pattern
from tests.unit.mocks.conftest import BODY_LIMIT, MAX_HANG, run_asgi


async def test_default_pattern_fails_twice_then_succeeds(flaky: httpx.AsyncClient) -> None:
    """A never-configured key answers 503, 503, then 200 (the seed's default)."""
    statuses = [(await flaky.get("/flaky/seed")).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]


async def test_failure_is_problem_json(flaky: httpx.AsyncClient) -> None:
    """An injected failure is problem+json with the status and the request id."""
    response = await flaky.get("/flaky/p", headers={"X-Request-ID": "r-1"})
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["status"] == 503
    assert body["instance"] == "/flaky/p"
    assert body["request_id"] == "r-1"
    assert "retry-after" not in response.headers


async def test_success_body(flaky: httpx.AsyncClient) -> None:
    """A successful call reports the key and which attempt it was."""
    await flaky.put("/patterns/k", json={"fail_times": 0})
    body = (await flaky.get("/flaky/k")).json()
    assert body["key"] == "k"
    assert body["attempt"] == 1
    assert "body_bytes" not in body


async def test_unknown_key_pattern_is_default(flaky: httpx.AsyncClient) -> None:
    """GET /patterns for a key never seen returns the default pattern and no calls."""
    response = await flaky.get("/patterns/never-seen")
    assert response.status_code == 200
    assert response.json() == {
        "key": "never-seen",
        "pattern": {
            "fail_times": 2,
            "failure": "status",
            "status": 503,
            "hang_seconds": 30.0,
            "retry_after": None,
        },
        "calls": 0,
        "failures_left": 2,
    }


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_configured_status(flaky: httpx.AsyncClient, status: int) -> None:
    """A configured pattern fails fail_times times with its status, then succeeds."""
    put = await flaky.put("/patterns/s", json={"fail_times": 3, "status": status})
    assert put.status_code == 200
    assert put.json()["failures_left"] == 3
    statuses = [(await flaky.get("/flaky/s")).status_code for _ in range(4)]
    assert statuses == [status, status, status, 200]


async def test_state_counts_calls(flaky: httpx.AsyncClient) -> None:
    """GET /patterns reports calls and failures left as calls happen."""
    await flaky.put("/patterns/c", json={"fail_times": 2})
    await flaky.get("/flaky/c")
    state = (await flaky.get("/patterns/c")).json()
    assert (state["calls"], state["failures_left"]) == (1, 1)
    await flaky.get("/flaky/c")
    await flaky.get("/flaky/c")
    state = (await flaky.get("/patterns/c")).json()
    assert (state["calls"], state["failures_left"]) == (3, 0)


async def test_put_resets_call_count(flaky: httpx.AsyncClient) -> None:
    """Setting a pattern starts the key's count again."""
    await flaky.get("/flaky/r")
    await flaky.get("/flaky/r")
    await flaky.put("/patterns/r", json={"fail_times": 1})
    assert (await flaky.get("/flaky/r")).status_code == 503
    assert (await flaky.get("/flaky/r")).json()["attempt"] == 2


async def test_keys_are_isolated(flaky: httpx.AsyncClient) -> None:
    """One key's pattern and calls never affect another's."""
    await flaky.put("/patterns/a", json={"fail_times": 0})
    assert (await flaky.get("/flaky/a")).status_code == 200
    assert (await flaky.get("/flaky/b")).status_code == 503
    assert (await flaky.get("/patterns/a")).json()["calls"] == 1
    assert (await flaky.get("/patterns/b")).json()["calls"] == 1


async def test_apps_are_isolated(flaky: httpx.AsyncClient, flaky_app: FastAPI) -> None:
    """Two apps in one process keep separate stores."""
    await flaky.put("/patterns/x", json={"fail_times": 0})
    other = create_app(FlakySettings(_env_file=None))  # type: ignore[call-arg]
    assert other.state.store is not flaky_app.state.store
    assert len(other.state.store) == 0


async def test_delete_resets_key(flaky: httpx.AsyncClient) -> None:
    """DELETE forgets the pattern and the calls: 204, then the default again."""
    await flaky.put("/patterns/d", json={"fail_times": 0, "status": 500})
    await flaky.get("/flaky/d")
    response = await flaky.delete("/patterns/d")
    assert response.status_code == 204
    assert response.content == b""
    state = (await flaky.get("/patterns/d")).json()
    assert (state["calls"], state["pattern"]["fail_times"]) == (0, 2)
    assert (await flaky.get("/flaky/d")).status_code == 503


async def test_delete_unknown_key(flaky: httpx.AsyncClient) -> None:
    """Resetting a key that was never used is fine (204)."""
    assert (await flaky.delete("/patterns/ghost")).status_code == 204


async def test_retry_after_sent_on_failures_only(flaky: httpx.AsyncClient) -> None:
    """retry_after becomes a Retry-After header on each failure, not on success."""
    await flaky.put("/patterns/ra", json={"fail_times": 1, "status": 429, "retry_after": "7"})
    failed = await flaky.get("/flaky/ra")
    assert (failed.status_code, failed.headers["retry-after"]) == (429, "7")
    succeeded = await flaky.get("/flaky/ra")
    assert "retry-after" not in succeeded.headers


async def test_retry_after_http_date(flaky: httpx.AsyncClient) -> None:
    """An HTTP-date retry_after is sent as is."""
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    await flaky.put("/patterns/rd", json={"fail_times": 1, "retry_after": date})
    assert (await flaky.get("/flaky/rd")).headers["retry-after"] == date


async def test_hang_then_504(flaky: httpx.AsyncClient) -> None:
    """A hanging failure waits hang_seconds, then answers 504 problem+json."""
    await flaky.put("/patterns/h", json={"fail_times": 1, "failure": "hang", "hang_seconds": 0.01})
    started = time.monotonic()
    response = await flaky.get("/flaky/h")
    assert time.monotonic() - started >= 0.01
    assert response.status_code == 504
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert (await flaky.get("/flaky/h")).status_code == 200


async def test_hang_is_capped_by_settings(flaky: httpx.AsyncClient) -> None:
    """A 300 s hang is cut to the configured max_hang_seconds."""
    await flaky.put(
        "/patterns/long", json={"fail_times": 1, "failure": "hang", "hang_seconds": 300}
    )
    started = time.monotonic()
    response = await flaky.get("/flaky/long")
    assert response.status_code == 504
    assert time.monotonic() - started < 5
    assert f"hung {MAX_HANG:g}s" in response.json()["detail"]


async def test_post_reports_body_size(flaky: httpx.AsyncClient) -> None:
    """POST reads the body and reports its size, with the same failure pattern."""
    await flaky.put("/patterns/p", json={"fail_times": 1})
    assert (await flaky.post("/flaky/p", content=b"abc")).status_code == 503
    body = (await flaky.post("/flaky/p", content=b"x" * 100)).json()
    assert (body["attempt"], body["body_bytes"]) == (2, 100)


async def test_post_without_body(flaky: httpx.AsyncClient) -> None:
    """POST without a body reports zero bytes."""
    await flaky.put("/patterns/e", json={"fail_times": 0})
    assert (await flaky.post("/flaky/e")).json()["body_bytes"] == 0


async def test_post_body_too_large_is_413_and_not_counted(flaky: httpx.AsyncClient) -> None:
    """A POST body over the limit is 413 problem+json and does not use up a call."""
    response = await flaky.post("/flaky/big", content=b"x" * (BODY_LIMIT + 1))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE

    async def chunks() -> object:
        for _ in range(BODY_LIMIT // 100 + 2):
            yield b"y" * 100

    assert (await flaky.post("/flaky/big", content=chunks())).status_code == 413  # type: ignore[arg-type]
    assert (await flaky.get("/patterns/big")).json()["calls"] == 0


@pytest.mark.parametrize(
    "path",
    ["/flaky/bad%20key", "/flaky/" + "k" * 129, "/patterns/bad*key", "/patterns/%C3%A9"],
)
async def test_invalid_key_is_422(flaky: httpx.AsyncClient, path: str) -> None:
    """A key outside the contract's pattern is a 422 problem."""
    response = await flaky.get(path)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["errors"][0]["loc"] == ["path", "key"]


@pytest.mark.parametrize(
    "pattern",
    [
        {"fail_times": -1},
        {"fail_times": 1_000_001},
        {"fail_times": True},
        {"fail_times": "3"},
        {"fail_times": 1.5},
        {"failure": "explode"},
        {"status": 404},
        {"status": "503"},
        {"hang_seconds": 301},
        {"hang_seconds": -0.1},
        {"retry_after": "x" * 65},
        {"retry_after": "bad\nheader"},
        {"retry_after": " padded"},
        {"retry_after": 5},
        {"unknown": 1},
        [],
        None,
    ],
)
async def test_invalid_pattern_is_422(flaky: httpx.AsyncClient, pattern: object) -> None:
    """Patterns outside the contract are refused with 422 problem+json, state untouched."""
    body = json.dumps(pattern).encode()
    headers = {"content-type": "application/json"}
    response = await flaky.put("/patterns/v", content=body, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert (await flaky.get("/patterns/v")).json()["pattern"]["fail_times"] == 2


async def test_integral_float_is_an_integer(flaky: httpx.AsyncClient) -> None:
    """JSON 3.0 is the integer 3, as JSON Schema says."""
    response = await flaky.put("/patterns/f", json={"fail_times": 3.0, "status": 502.0})
    assert response.json()["pattern"]["fail_times"] == 3
    assert response.json()["pattern"]["status"] == 502


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_put_needs_json_content_type(
    flaky: httpx.AsyncClient, content_type: str | None
) -> None:
    """PUT with a body that is not application/json is 415."""
    headers = {"content-type": content_type} if content_type else {}
    response = await flaky.put("/patterns/j", content=b'{"fail_times": 0}', headers=headers)
    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


async def test_put_json_with_charset(flaky: httpx.AsyncClient) -> None:
    """application/json with a charset parameter is accepted."""
    response = await flaky.put(
        "/patterns/cs",
        content=b'{"fail_times": 0}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


async def test_put_without_body_is_422(flaky: httpx.AsyncClient) -> None:
    """PUT declaring JSON but sending nothing is a 422 (the pattern is required)."""
    response = await flaky.put("/patterns/n", headers={"content-type": "application/json"})
    assert response.status_code == 422


async def test_put_undecodable_body_is_400(flaky: httpx.AsyncClient) -> None:
    """A JSON body that is not even UTF-8 is a 400 problem."""
    response = await flaky.put(
        "/patterns/u", content=b"\xff\xfe\x00", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


async def test_operations_endpoints(flaky: httpx.AsyncClient) -> None:
    """The flaky service serves /healthz, /readyz and /metrics."""
    assert (await flaky.get("/healthz")).json() == {"status": "ok"}
    assert (await flaky.get("/readyz")).status_code == 200
    await flaky.get("/flaky/m")
    metrics = (await flaky.get("/metrics")).text
    assert 'route="/flaky/{key}",status="503"' in metrics


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """BACKBONE_FLAKY_* variables configure the service's bounds."""
    monkeypatch.setenv("BACKBONE_FLAKY_MAX_HANG_SECONDS", "1.5")
    monkeypatch.setenv("BACKBONE_FLAKY_MAX_KEYS", "10")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert (settings.max_hang_seconds, settings.max_keys) == (1.5, 10)
        assert create_app().state.store.max_keys == 10
    finally:
        get_settings.cache_clear()


async def test_hang_abandoned_when_client_disconnects_mid_request(flaky_app: FastAPI) -> None:
    """Served over ASGI, a hang ends early when the client's disconnect arrives."""
    await flaky_app.state.store.put("gone", Pattern(fail_times=1, failure="hang", hang_seconds=300))
    flaky_app.state.settings.max_hang_seconds = 300
    sent = await run_asgi(flaky_app, "/flaky/gone", disconnect=True)
    assert sent[0]["status"] == 504
