"""Item-to-item collaborative filtering over orders: pure functions, no I/O.

- The **book**: every counted order by id (its customer and its set of SKUs). Cancelled
  orders are not purchases: an order seen again as cancelled leaves the book.
- **Buyers** of a SKU: the distinct customers who bought it (a second order of the same
  SKU by the same customer does not count twice).
- **Similarity** of two SKUs: the customers who bought both, cosine-normalised:
  ``co / sqrt(buyers_a * buyers_b)`` — a SKU everybody buys is not similar to everything.
- A customer's **candidates**: the SKUs similar to what they bought, scored by the sum of
  similarities; never a SKU they bought. The reason names the strongest link
  (``bought with BOOK-1 by 14 customers``).
- **Popular**: SKUs by distinct customers, scored by their share of all customers; the
  whole answer for a known user with no orders, and the top-up of a customer with fewer
  candidates than asked for.

Each customer's list (candidates, then popular top-up) is computed once per model, up to
:data:`MAX_ITEMS`: answering is a slice.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

__all__ = [
    "MAX_ITEMS",
    "Model",
    "OrderBook",
    "Pick",
    "Purchase",
    "Strategy",
    "answer",
    "apply_orders",
    "build_model",
    "choose",
    "strategy_of",
]

MAX_ITEMS = 50
"""The most items one answer holds (the contract's ``limit`` maximum)."""

Strategy = Literal["co-purchase", "popular", "mixed"]


@dataclass(frozen=True, slots=True)
class Purchase:
    """One counted order: who bought, and which SKUs."""

    user_id: int
    skus: frozenset[str]


OrderBook = dict[int, Purchase]
"""Counted orders by order id."""


@dataclass(frozen=True, slots=True)
class Pick:
    """One recommended SKU, its score and why; ``popular`` when it comes from popularity."""

    sku: str
    score: float
    reason: str
    popular: bool = False

    def to_json(self) -> list[Any]:
        """The stored form: a short list."""
        return [self.sku, self.score, self.reason, self.popular]

    @classmethod
    def from_json(cls, value: list[Any]) -> Pick:
        """A pick from its stored form."""
        sku, score, reason, popular = value
        return cls(str(sku), float(score), str(reason), bool(popular))


@dataclass(frozen=True, slots=True)
class Model:
    """What answers are sliced from: each customer's picks, the popular ones, who is known."""

    picks: dict[int, list[Pick]]
    popular: list[Pick]
    users: frozenset[int]
    orders: int


def apply_orders(book: Mapping[int, Purchase], orders: Iterable[Mapping[str, Any]]) -> OrderBook:
    """``book`` with ``orders`` (Order Service bodies) applied: each replaces its earlier
    version; a cancelled one (or one with no items) is removed."""
    updated = dict(book)
    for order in orders:
        order_id = int(order["order_id"])
        skus = frozenset(str(item["sku"]) for item in order.get("items") or ())
        if order["status"] == "cancelled" or not skus:
            updated.pop(order_id, None)
        else:
            updated[order_id] = Purchase(int(order["user_id"]), skus)
    return updated


def _baskets(book: Mapping[int, Purchase]) -> dict[int, set[str]]:
    """Each customer's SKUs over all their counted orders."""
    baskets: dict[int, set[str]] = defaultdict(set)
    for purchase in book.values():
        baskets[purchase.user_id].update(purchase.skus)
    return baskets


def _co_purchases(baskets: Mapping[int, Set[str]]) -> dict[str, Counter[str]]:
    """For each SKU, how many customers bought it together with each other SKU."""
    co: dict[str, Counter[str]] = defaultdict(Counter)
    for skus in baskets.values():
        for a, b in combinations(sorted(skus), 2):
            co[a][b] += 1
            co[b][a] += 1
    return co


def _people(count: int) -> str:
    return f"{count} customer" if count == 1 else f"{count} customers"


def _candidates(
    bought: Set[str], co: Mapping[str, Counter[str]], buyers: Mapping[str, int]
) -> list[Pick]:
    """The SKUs similar to ``bought``, best first (ties by SKU), each with its strongest link."""
    scores: dict[str, float] = defaultdict(float)
    # The strongest link of each candidate: (similarity, co-purchases, the bought SKU).
    strongest: dict[str, tuple[float, int, str]] = {}
    for mine in sorted(bought):
        for other, together in co.get(mine, {}).items():
            if other in bought:
                continue
            similarity = together / math.sqrt(buyers[mine] * buyers[other])
            scores[other] += similarity
            link = (similarity, together, mine)
            best = strongest.get(other)
            # Ties go to the alphabetically first SKU (visited first): stable reasons.
            if best is None or link[:2] > best[:2]:
                strongest[other] = link
    ranked = sorted(scores, key=lambda sku: (-scores[sku], sku))[:MAX_ITEMS]
    return [
        Pick(sku, scores[sku], f"bought with {strongest[sku][2]} by {_people(strongest[sku][1])}")
        for sku in ranked
    ]


def _popular(buyers: Mapping[str, int], customers: int) -> list[Pick]:
    """Every SKU by distinct customers (ties by SKU), scored by their share of customers."""
    ranked = sorted(buyers, key=lambda sku: (-buyers[sku], sku))
    return [
        Pick(sku, buyers[sku] / customers, f"popular with {_people(buyers[sku])}", popular=True)
        for sku in ranked
    ]


def _topped_up(candidates: list[Pick], popular: list[Pick], bought: Set[str]) -> list[Pick]:
    """``candidates``, then popular SKUs neither bought nor listed, up to MAX_ITEMS."""
    listed = {pick.sku for pick in candidates}
    picks = list(candidates)
    for pick in popular:
        if len(picks) >= MAX_ITEMS:
            break
        if pick.sku not in bought and pick.sku not in listed:
            picks.append(pick)
    return picks


def build_model(book: Mapping[int, Purchase], *, users: Iterable[int]) -> Model:
    """The model of ``book``: every customer's picks, the popular list, the known ``users``."""
    baskets = _baskets(book)
    buyers = Counter(sku for skus in baskets.values() for sku in skus)
    co = _co_purchases(baskets)
    popular = _popular(buyers, len(baskets))
    picks = {
        user_id: _topped_up(_candidates(bought, co, buyers), popular, bought)
        for user_id, bought in baskets.items()
    }
    return Model(picks=picks, popular=popular[:MAX_ITEMS], users=frozenset(users), orders=len(book))


def strategy_of(picks: Iterable[Pick], *, history: bool) -> Strategy:
    """``popular`` without history; ``mixed`` when popular picks top candidates up."""
    if not history:
        return "popular"
    return "mixed" if any(pick.popular for pick in picks) else "co-purchase"


def choose(mine: list[Pick] | None, popular: list[Pick], limit: int) -> tuple[Strategy, list[Pick]]:
    """The strategy and the best ``limit`` picks: a customer's own (``mine``), or the
    popular ones for a known user with no orders (``mine`` is None)."""
    if not 1 <= limit <= MAX_ITEMS:
        raise ValueError(f"limit must be between 1 and {MAX_ITEMS}")
    picks = (popular if mine is None else mine)[:limit]
    return strategy_of(picks, history=mine is not None), picks


def answer(model: Model, user_id: int, limit: int) -> tuple[Strategy, list[Pick]]:
    """The strategy and the best ``limit`` picks for ``user_id``; LookupError if unknown."""
    if user_id not in model.users:
        raise LookupError(f"no user has id {user_id}")
    return choose(model.picks.get(user_id), model.popular, limit)
