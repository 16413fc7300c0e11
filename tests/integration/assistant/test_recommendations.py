"""``GET /v1/recommendations`` against real Redis and the User and Order services behind
the gateway, all live on loopback: a new order shows within the refresh interval, a
failing refresh keeps serving (stale) and says so, unknown users, tokens and limits."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from backbone.assistant import create_app
from backbone.assistant.config import AssistantSettings
from backbone.gateway import create_app as create_gateway
from backbone.gateway.config import GatewaySettings
from backbone.mocks.orders import create_app as create_orders
from backbone.mocks.users import create_app as create_users
from tests.integration.assistant.conftest import (
    Accounts,
    assert_problem,
    assert_unauthorized,
    bearer,
    serving,
)
from tests.integration.gateway._servers import closed_port_url, serve
from tests.integration.gateway.conftest import GATEWAY_OPTIONS

pytestmark = pytest.mark.integration

REFRESH = 0.2
DEADLINE = 15.0
PATH = "/v1/recommendations"


@pytest.fixture
async def gateway() -> AsyncIterator[str]:
    """A gateway in front of fresh User and Order services (their seeded users and orders)."""
    async with contextlib.AsyncExitStack() as stack:
        users = await stack.enter_async_context(serve(create_users()))
        orders = await stack.enter_async_context(serve(create_orders()))
        settings = GatewaySettings(users_url=users, orders_url=orders)
        app = create_gateway(settings)
        yield await stack.enter_async_context(serve(app, settings=settings, **GATEWAY_OPTIONS))


@pytest.fixture
def settings(make_settings: Callable[..., AssistantSettings], gateway: str) -> AssistantSettings:
    """The API reads the gateway, refreshing the model every 0.2 s."""
    return make_settings(gateway_url=gateway, recommendations_refresh_seconds=REFRESH)


@pytest.fixture
async def token(accounts: Accounts) -> str:
    """An access token of a new account."""
    _, tokens = await accounts.new()
    access: str = tokens["access_token"]
    return access


async def _until(
    api: httpx.AsyncClient, token: str, done: Callable[[httpx.Response], bool], **params: Any
) -> httpx.Response:
    """Ask until ``done`` accepts the answer; fail after :data:`DEADLINE` seconds."""
    deadline = time.monotonic() + DEADLINE
    while True:
        response = await api.get(PATH, params=params, headers=bearer(token))
        if done(response):
            return response
        if time.monotonic() > deadline:
            raise AssertionError(f"no such answer within {DEADLINE} s: {response.text}")
        await asyncio.sleep(0.05)


def _ok(response: httpx.Response) -> bool:
    return response.status_code == 200


async def test_a_new_order_changes_the_recommendations_within_the_interval(
    api: httpx.AsyncClient, token: str, gateway: str
) -> None:
    """User 125's only order is cancelled: popular picks. Once they order BOOK-1 (bought
    with MUG-7 and TEA-GREEN by user 123), those two come first, with the reason."""
    before = (await _until(api, token, _ok, user_id=125)).json()
    assert before["strategy"] == "popular"
    assert before["model"]["stale"] is False
    assert {item["reason"] for item in before["items"]} == {"popular with 1 customer"}
    async with httpx.AsyncClient(base_url=gateway) as client:
        item = {"sku": "BOOK-1", "quantity": 1, "unit_price_cents": 1250}
        created = await client.post("/orders", json={"user_id": 125, "items": [item]})
        assert created.status_code == 201, created.text
    ordered = time.monotonic()
    after = (
        await _until(api, token, lambda r: r.json()["strategy"] != "popular", user_id=125)
    ).json()
    assert time.monotonic() - ordered < DEADLINE
    assert after["model"]["version"] > before["model"]["version"]
    assert [i["sku"] for i in after["items"][:2]] == ["MUG-7", "TEA-GREEN"]
    assert after["items"][0]["reason"] == "bought with BOOK-1 by 1 customer"
    assert "BOOK-1" not in {i["sku"] for i in after["items"]}


async def test_the_answer_matches_the_contract_shape(api: httpx.AsyncClient, token: str) -> None:
    """User 123 (BOOK-1, MUG-7, TEA-GREEN): nothing co-bought is left, so LAMP-2 tops up;
    limit bounds the list; the model says what it counted (the cancelled order excluded)."""
    body = (await _until(api, token, _ok, user_id=123, limit=1)).json()
    assert body == {
        "user_id": 123,
        "strategy": "mixed",
        "items": [{"sku": "LAMP-2", "score": 0.5, "reason": "popular with 1 customer"}],
        "model": {
            "version": body["model"]["version"],
            "built_at": body["model"]["built_at"],
            "orders": 3,
            "stale": False,
        },
    }


async def test_unknown_users_are_404_and_limits_are_bounded(
    api: httpx.AsyncClient, token: str
) -> None:
    """A user the User Service does not know is 404; limit outside 1..50 and bad ids, 422."""
    await _until(api, token, _ok, user_id=123)
    response = await api.get(PATH, params={"user_id": 999_999}, headers=bearer(token))
    assert "999999" in assert_problem(response, 404)["detail"]
    for params in (
        {"user_id": 123, "limit": 0},
        {"user_id": 123, "limit": 51},
        {"user_id": 123, "limit": "x"},
        {"user_id": 0},
        {"user_id": 2_147_483_648},
        {},
    ):
        assert_problem(await api.get(PATH, params=params, headers=bearer(token)), 422)
    answer = await api.get(PATH, params={"user_id": 124, "limit": 50}, headers=bearer(token))
    assert len(answer.json()["items"]) == 3  # every SKU user 124 did not buy


async def test_a_token_is_required(api: httpx.AsyncClient) -> None:
    """No token, or a forged one: 401 with the Bearer challenge."""
    assert_unauthorized(await api.get(PATH, params={"user_id": 123}), token_sent=False)
    forged = await api.get(PATH, params={"user_id": 123}, headers=bearer("not.a.token"))
    assert_unauthorized(forged)


async def test_a_failing_refresh_keeps_serving_the_last_model_as_stale(
    settings: AssistantSettings, make_settings: Callable[..., AssistantSettings]
) -> None:
    """A replica builds the model and stops; another, whose gateway is down, answers from
    that model: stale=true, /readyz 200 naming the failure, /metrics counting it."""
    async with serving(create_app(settings)) as first:
        _, tokens = await Accounts(first).new()
        token = tokens["access_token"]
        good = (await _until(first, token, _ok, user_id=123)).json()
    broken = make_settings(gateway_url=closed_port_url(), recommendations_refresh_seconds=REFRESH)
    async with serving(create_app(broken)) as replica:
        stale = (
            await _until(replica, token, lambda r: r.json()["model"]["stale"], user_id=123)
        ).json()
        assert stale["items"] == good["items"]
        assert stale["model"]["version"] == good["model"]["version"]
        ready = await replica.get("/readyz")
        assert ready.status_code == 200
        report = ready.json()["checks"]["recommendations"]
        assert report.startswith("stale: "), report
        assert "gateway" in report
        metrics = (await replica.get("/metrics")).text
        assert 'assistant_recommendations_refreshes_total{outcome="failed"}' in metrics
        assert "assistant_recommendations_model_stale 1.0" in metrics


async def test_no_model_yet_is_503_with_retry_after(
    make_settings: Callable[..., AssistantSettings],
) -> None:
    """Before any refresh succeeded: 503 with Retry-After, and /readyz says building."""
    settings = make_settings(gateway_url=closed_port_url(), recommendations_refresh_seconds=60)
    async with serving(create_app(settings)) as replica:
        _, tokens = await Accounts(replica).new()
        response = await replica.get(
            PATH, params={"user_id": 123}, headers=bearer(tokens["access_token"])
        )
        assert_problem(response, 503)
        assert int(response.headers["retry-after"]) > 0
        ready = await replica.get("/readyz")
        assert (ready.status_code, ready.json()["checks"]["recommendations"]) == (200, "building")
