"""The recommendation model's arithmetic, on a small order set whose numbers are worked
out by hand below (co-purchase counts, cosine similarities, sums, popularity)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from backbone.assistant.recommendations.model import (
    MAX_ITEMS,
    OrderBook,
    Pick,
    answer,
    apply_orders,
    build_model,
)


def _order(order_id: int, user_id: int, *skus: str, status: str = "paid") -> dict[str, Any]:
    items = [{"sku": sku, "quantity": 1, "unit_price_cents": 100} for sku in skus]
    return {"order_id": order_id, "user_id": user_id, "items": items, "status": status}


# Customers and what they bought (user 1 twice; user 5's order with A is cancelled):
#   1: A, B    2: A, B, C    3: A, C    4: B, D    5: D (A cancelled)    6: nothing
# Buyers: A {1,2,3} = 3, B {1,2,4} = 3, C {2,3} = 2, D {4,5} = 2; five customers in all.
# Co-purchases: A-B {1,2} = 2, A-C {2,3} = 2, B-C {2} = 1, B-D {4} = 1, A-D = C-D = 0.
ORDERS = [
    _order(1, 1, "A"),
    _order(2, 1, "A", "B"),
    _order(3, 2, "A", "B", "C"),
    _order(4, 3, "A", "C"),
    _order(5, 4, "B", "D"),
    _order(6, 5, "D", status="pending"),
    _order(7, 5, "A", status="cancelled"),
]
USERS = {1, 2, 3, 4, 5, 6}
SIM_AB = 2 / math.sqrt(3 * 3)
SIM_AC = 2 / math.sqrt(3 * 2)
SIM_BC = 1 / math.sqrt(3 * 2)
SIM_BD = 1 / math.sqrt(3 * 2)


def _book(orders: list[dict[str, Any]] = ORDERS) -> OrderBook:
    return apply_orders({}, orders)


def _model() -> Any:
    return build_model(_book(), users=USERS)


def _items(user_id: int, limit: int = MAX_ITEMS) -> tuple[str, list[tuple[str, float, str]]]:
    strategy, picks = answer(_model(), user_id, limit)
    return strategy, [(p.sku, p.score, p.reason) for p in picks]


def test_a_customer_gets_what_similar_skus_add_up_to() -> None:
    """User 1 (A, B): C scores sim(A,C) + sim(B,C), D scores sim(B,D); best first."""
    strategy, items = _items(1, limit=2)
    assert strategy == "co-purchase"
    assert [sku for sku, _, _ in items] == ["C", "D"]
    assert items[0][1] == pytest.approx(SIM_AC + SIM_BC)
    assert items[1][1] == pytest.approx(SIM_BD)


def test_the_reason_names_the_strongest_bought_sku_and_its_count() -> None:
    """C's strongest link for user 1 is A (2 customers); D's is B (1 customer)."""
    _, items = _items(1, limit=2)
    assert items[0][2] == "bought with A by 2 customers"
    assert items[1][2] == "bought with B by 1 customer"


def test_fewer_candidates_are_topped_up_with_popular_skus() -> None:
    """User 3 (A, C) has one candidate, B; D (2 of 5 customers) tops the list up: mixed."""
    strategy, items = _items(3, limit=2)
    assert strategy == "mixed"
    assert items[0] == ("B", pytest.approx(SIM_AB + SIM_BC), "bought with A by 2 customers")
    assert items[1] == ("D", pytest.approx(2 / 5), "popular with 2 customers")
    assert _items(3, limit=1)[0] == "co-purchase"


def test_a_known_user_without_orders_gets_the_popular_skus() -> None:
    """User 6 bought nothing: A and B (3 of 5 customers), then C and D (2 of 5)."""
    strategy, items = _items(6)
    assert strategy == "popular"
    assert items == [
        ("A", pytest.approx(3 / 5), "popular with 3 customers"),
        ("B", pytest.approx(3 / 5), "popular with 3 customers"),
        ("C", pytest.approx(2 / 5), "popular with 2 customers"),
        ("D", pytest.approx(2 / 5), "popular with 2 customers"),
    ]


@pytest.mark.parametrize("user_id", [1, 2, 3, 4, 5])
def test_nothing_already_bought_is_recommended(user_id: int) -> None:
    """No customer is offered a SKU from their own (counted) orders, popular ones included."""
    bought = {
        item["sku"]
        for order in ORDERS
        if order["user_id"] == user_id and order["status"] != "cancelled"
        for item in order["items"]
    }
    _, items = _items(user_id)
    assert items
    assert not bought & {sku for sku, _, _ in items}


def test_cancelled_orders_do_not_count() -> None:
    """User 5's cancelled A is not a purchase: A is recommended to them, with D's link none."""
    _, items = _items(5)
    assert [sku for sku, _, _ in items][:1] == ["B"]  # bought with D by user 4
    assert items[0][2] == "bought with D by 1 customer"
    assert "A" in {sku for sku, _, _ in items}
    assert _model().orders == 6


def test_a_cancelled_order_leaves_the_book_when_it_changes() -> None:
    """An order seen again as cancelled is removed; seen again with new items, replaced."""
    book = _book()
    book = apply_orders(book, [_order(2, 1, "A", "B", status="cancelled")])
    assert 2 not in book
    book = apply_orders(book, [_order(1, 1, "C")])
    assert book[1].skus == frozenset({"C"})


@pytest.mark.parametrize("limit", [1, 2, 3, MAX_ITEMS])
def test_limit_bounds_the_answer(limit: int) -> None:
    """At most ``limit`` items, each once."""
    for user_id in USERS:
        _, picks = answer(_model(), user_id, limit)
        assert len(picks) <= limit
        assert len({p.sku for p in picks}) == len(picks)


def test_a_limit_out_of_bounds_is_refused() -> None:
    """0 and more than MAX_ITEMS are errors, not an empty or a truncated list."""
    for limit in (0, MAX_ITEMS + 1):
        with pytest.raises(ValueError, match="limit"):
            answer(_model(), 1, limit)


def test_an_unknown_user_is_not_answered() -> None:
    """A user the User Service does not list is a LookupError, even with orders."""
    model = build_model(_book(), users={1, 2})
    with pytest.raises(LookupError):
        answer(model, 3, 5)


def test_the_answer_is_capped_at_max_items() -> None:
    """Many SKUs: a customer's list and the popular list keep MAX_ITEMS at most."""
    orders = [_order(n, n % 7 + 1, f"SKU-{n}", f"SKU-{n + 1}") for n in range(1, 200)]
    model = build_model(apply_orders({}, orders), users=set(range(1, 9)))
    assert len(model.popular) == MAX_ITEMS
    assert all(len(picks) == MAX_ITEMS for picks in model.picks.values())


def test_picks_round_trip_through_json() -> None:
    """A pick survives the stored form unchanged."""
    pick = Pick("C", SIM_AC + SIM_BC, "bought with A by 2 customers")
    assert Pick.from_json(pick.to_json()) == pick
