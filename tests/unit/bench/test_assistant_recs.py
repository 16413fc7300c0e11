"""``backbone bench assistant``'s recommendations: the table against the floor, the goal,
the seeded orders (no stores, no servers)."""

from __future__ import annotations

import json
import random

import httpx
import pytest
from rich.console import Console

from backbone.bench._assistant_recs import (
    FLOOR,
    MAX_P99_MS,
    RECS,
    RecsRow,
    recs_goal_lines,
    render_recs,
)
from backbone.bench._assistant_report import goal_lines
from backbone.bench._assistant_services import (
    CATALOGUE,
    _basket,
    recommendations_ready,
    seed_orders,
    wait_for_model,
)
from backbone.bench._reports import EndpointRow
from backbone.mocks.orders.schemas import OrderCreate


def _text(renderable: object) -> str:
    console = Console(width=200, record=True)
    console.print(renderable)
    return console.export_text()


def _rows(recs_p99: float, floor_p99: float = 2.0, errors: int = 0) -> list[RecsRow]:
    return [
        RecsRow("50 users", EndpointRow(RECS, 500, 50.0, 3.0, recs_p99, 30.0, errors)),
        RecsRow("50 users", EndpointRow(FLOOR, 500, 50.0, 1.0, floor_p99, 9.0, 0)),
        RecsRow("flat out", EndpointRow(RECS, 9000, 900.0, 50.0, 90.0, 120.0, 0)),
        RecsRow("flat out", EndpointRow(FLOOR, 18000, 1800.0, 25.0, 45.0, 60.0, 0)),
    ]


def test_render_recs_names_each_endpoint_and_load_against_the_floor() -> None:
    """Four rows, endpoint then load; each p99 divided by its own load's floor."""
    text = _text(render_recs(_rows(8.0), title="Recommendations"))
    assert f"{RECS}, 50 users" in text
    assert f"{FLOOR}, flat out" in text
    line = next(line for line in text.splitlines() if f"{RECS}, 50 users" in line)
    assert "4.00x" in line  # 8.00 / 2.00
    line = next(line for line in text.splitlines() if f"{RECS}, flat out" in line)
    assert "2.00x" in line  # 90 / 45
    assert "1.00x" in next(line for line in text.splitlines() if f"{FLOOR}, flat out" in line)


def test_recs_goal_met_with_the_floor_and_throughput() -> None:
    """p99 under the goal: met, with the floor's p99, the ratio and the flat-out rates."""
    lines = recs_goal_lines(_rows(8.0), users=50)
    assert lines[0].startswith("  met ")
    assert f"p99 <= {MAX_P99_MS:g} ms at 50 users: 8.00 ms (the floor: 2.00 ms, 4.00x)" in lines[0]
    assert "flat out: 900 recommendations/s, 0.50x the floor's 1,800/s" in lines[1]
    assert lines[2].startswith("  met ")


def test_recs_goal_missed_or_erring_says_not_met() -> None:
    """p99 over the goal, or errors: NOT met; a missing row: not checked."""
    lines = recs_goal_lines(_rows(25.0, errors=3), users=50)
    assert lines[0].startswith("  NOT met")
    assert lines[-1] == "  NOT met  no errors in the recommendations' rounds: 3"
    assert recs_goal_lines(_rows(8.0)[1:], users=50) == [
        "  recommendations: not checked (a row is missing)"
    ]


def test_goal_lines_carry_the_extra_lines_after_the_rates() -> None:
    """The recommendations' goals are printed among the others."""
    latency = [EndpointRow("POST /v1/tasks", 1, 1.0, 1.0, 1.0, 1.0, 0)]
    lines = goal_lines(latency, [], users=50, busy=2, workers=2, cpus=2, extra=["  extra"])
    assert lines.index("  extra") == 4


def test_baskets_are_valid_orders_mostly_within_a_group() -> None:
    """Every basket is an order the Order Service accepts; most stay in one group."""
    chance = random.Random(1)
    groups = {sku: n for n, group in enumerate(CATALOGUE) for sku in group}
    within = 0
    for _ in range(200):
        basket = _basket(chance)
        OrderCreate.model_validate({"user_id": 1, "items": basket})
        skus = [str(line["sku"]) for line in basket]
        assert len(set(skus)) == len(skus) >= 2
        within += len({groups[sku] for sku in skus}) == 1
    assert within > 100


def test_seed_orders_makes_users_then_their_orders() -> None:
    """Each new user gets its orders, with the id the User Service gave it; the same every run."""
    created: list[tuple[str, dict[str, object]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        created.append((request.url.path, body))
        if request.url.path == "/users":
            return httpx.Response(201, json={"user_id": 200 + len(created)})
        return httpx.Response(201, json={"order_id": len(created)})

    transport = httpx.MockTransport(answer)
    seeded = seed_orders("http://gateway.test", users=2, orders_per_user=2, transport=transport)
    assert seeded.orders == 4
    assert [path for path, _ in created] == ["/users", "/orders", "/orders"] * 2
    assert seeded.user_ids == [201, 204]
    assert {body["user_id"] for _, body in created[4:]} == {204}
    again: list[tuple[str, dict[str, object]]] = list(created)
    created.clear()
    seed_orders("http://gateway.test", users=2, orders_per_user=2, transport=transport)
    assert [body for _, body in created] == [body for _, body in again]


def test_seed_orders_refused_says_what() -> None:
    """A refused creation is a RuntimeError naming what and the answer."""
    transport = httpx.MockTransport(lambda _: httpx.Response(502, text="bad gateway"))
    with pytest.raises(RuntimeError, match="seeding a user: 502 bad gateway"):
        seed_orders("http://gateway.test", users=1, transport=transport)


def _recs_client(answers: list[httpx.Response]) -> httpx.Client:
    replies = iter(answers)
    return httpx.Client(
        base_url="http://api.test", transport=httpx.MockTransport(lambda _: next(replies))
    )


def _model(orders: int) -> httpx.Response:
    body = {"user_id": 1, "strategy": "popular", "items": [], "model": {"orders": orders}}
    return httpx.Response(200, json=body)


def test_recommendations_ready_only_from_a_model_counting_the_orders() -> None:
    """503 (no model yet) or a model of fewer orders: not ready, said why; enough: ready."""
    with _recs_client([httpx.Response(503, text="later"), _model(3), _model(123)]) as client:
        assert recommendations_ready(client, 1, 120) == "503 later"
        assert recommendations_ready(client, 1, 120) == "a model of 3 orders, not yet 120"
        assert recommendations_ready(client, 1, 120) is None


def test_wait_for_model_gives_up_with_the_last_answer() -> None:
    """Never ready within the timeout: RuntimeError with the last answer."""
    with (
        _recs_client([httpx.Response(404, text="no route")] * 50) as client,
        pytest.raises(RuntimeError, match=r"no recommendations after 0\.1 s: 404 no route"),
    ):
        wait_for_model(client, 1, 10, timeout=0.1)
