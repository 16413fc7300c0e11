"""The services behind the assistant's recommendations and automations, for the benchmarks.

The recommender reads the Order Service's orders through the gateway, and asks the User
Service whether a user exists; the automations act on both. :func:`start_services`
starts the three as :func:`backbone.bench._stack.children` (``backbone serve users``,
``orders``, ``gateway``, on free ports) and gives the ``BACKBONE_*_URL`` variables
``backbone up`` would set, for the assistant's API and worker.

:func:`seed_orders` then gives the recommender something to learn: ``users`` new users
of the User Service, each with a few orders of two to four SKUs drawn from a small
catalogue, where some SKUs go together more often than others (a fixed seed: every run
the same orders). :func:`wait_for_model` waits until the recommender answers from a
model that counts them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from backbone.bench._assistant_load import Account
from backbone.bench._stack import Starter
from backbone.devstack import find_free_port

__all__ = [
    "CATALOGUE",
    "Seeded",
    "recommendations_ready",
    "seed_orders",
    "seed_recommender",
    "start_services",
    "wait_for_model",
]

CATALOGUE = (
    ("BOOK-1", "BOOK-2", "BOOK-3"),
    ("MUG-7", "TEA-GREEN", "TEA-BLACK"),
    ("LAMP-2", "BULB-E27"),
    ("PEN-10", "NOTEBOOK-A5", "INK-BLUE"),
)
"""SKUs in groups: an order mostly stays within one group, so the groups co-occur."""
TIMEOUT = 10.0
SEED = 20261206
SEEDED_USERS = 40
"""Users of the User Service given orders for the recommender to learn from."""
MODEL_TIMEOUT = 60.0


def start_services(starter: Starter) -> dict[str, str]:
    """Start the User and Order Services and the gateway before them; their URLs as
    ``BACKBONE_USERS_URL``, ``BACKBONE_ORDERS_URL`` and ``BACKBONE_GATEWAY_URL``."""
    urls = {}
    for name in ("users", "orders"):
        port = find_free_port()
        starter.serve(name, port)
        urls[f"BACKBONE_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
    port = find_free_port()
    starter.serve("gateway", port, **urls)
    return {**urls, "BACKBONE_GATEWAY_URL": f"http://127.0.0.1:{port}"}


@dataclass(frozen=True, slots=True)
class Seeded:
    """What :func:`seed_orders` made: the new users' ids and how many orders."""

    user_ids: list[int]
    orders: int


def _basket(chance: random.Random) -> list[dict[str, object]]:
    group = chance.choice(CATALOGUE)
    skus = set(chance.sample(group, k=min(len(group), chance.randint(2, 3))))
    if chance.random() < 0.3:  # now and then something from elsewhere
        skus.add(chance.choice(chance.choice(CATALOGUE)))
    lines = []
    for sku in sorted(skus):
        price = 50 * chance.randint(4, 80)
        lines.append({"sku": sku, "quantity": chance.randint(1, 3), "unit_price_cents": price})
    return lines


def _created(response: httpx.Response, what: str) -> dict[str, object]:
    if response.status_code != 201:
        raise RuntimeError(f"seeding {what}: {response.status_code} {response.text[:300]}")
    body: dict[str, object] = response.json()
    return body


def seed_orders(
    gateway_url: str,
    *,
    users: int,
    orders_per_user: int = 3,
    transport: httpx.BaseTransport | None = None,
) -> Seeded:
    """``users`` new users with ``orders_per_user`` orders each, through the gateway."""
    chance = random.Random(SEED)  # noqa: S311 - test data, not a secret
    user_ids: list[int] = []
    with httpx.Client(base_url=gateway_url, timeout=TIMEOUT, transport=transport) as client:
        for number in range(users):
            user = _created(client.post("/users", json={"name": f"Bench {number}"}), "a user")
            user_ids.append(int(str(user["user_id"])))
            for _ in range(orders_per_user):
                order = {"user_id": user_ids[-1], "items": _basket(chance)}
                _created(client.post("/orders", json=order), "an order")
    return Seeded(user_ids, users * orders_per_user)


def recommendations_ready(client: httpx.Client, user_id: int, orders: int) -> str | None:
    """None once ``GET /v1/recommendations`` answers 200 from a model counting at least
    ``orders`` orders; else what it answered."""
    response = client.get("/v1/recommendations", params={"user_id": user_id})
    if response.status_code != 200:
        return f"{response.status_code} {response.text[:200]}"
    counted = int(response.json().get("model", {}).get("orders", 0))
    return None if counted >= orders else f"a model of {counted} orders, not yet {orders}"


def wait_for_model(client: httpx.Client, user_id: int, orders: int, *, timeout: float) -> None:
    """Wait until :func:`recommendations_ready`; RuntimeError with the last answer if not
    within ``timeout`` seconds. ``client`` is the API's, with a bearer token."""
    deadline = time.monotonic() + timeout
    while (answer := recommendations_ready(client, user_id, orders)) is not None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no recommendations after {timeout:g} s: {answer}")
        time.sleep(0.2)


def seed_recommender(
    services: Mapping[str, str],
    api_url: str,
    address: str,
    admin: Account,
    say: Callable[[str], None],
) -> Seeded:
    """Orders for the recommender, through the gateway of ``services``; then wait, as
    ``admin`` from ``address``, until the API's model counts them."""
    seeded = seed_orders(services["BACKBONE_GATEWAY_URL"], users=SEEDED_USERS)
    say(f"{seeded.orders} orders of {SEEDED_USERS} users seeded; waiting for the model")
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(
        base_url=api_url, transport=transport, headers=admin.headers, timeout=TIMEOUT
    ) as client:
        wait_for_model(client, seeded.user_ids[0], seeded.orders, timeout=MODEL_TIMEOUT)
    return seeded
