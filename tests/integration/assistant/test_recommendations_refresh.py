"""The recommendation model's refresher against real Redis, with a scripted source: full
then incremental reads, publication only on change, deletions at the full rebuild, a
failure that keeps the last good model, one refresher at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from backbone.assistant.recommendations.model import answer, apply_orders, build_model
from backbone.assistant.recommendations.refresher import RecommendationMetrics, Refresher
from backbone.assistant.recommendations.source import SourceUnavailable
from backbone.assistant.recommendations.store import (
    ModelInfo,
    ModelMoved,
    RecommendationStore,
)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _order(order_id: int, user_id: int, *skus: str, status: str = "paid") -> dict[str, Any]:
    return {
        "order_id": order_id,
        "user_id": user_id,
        "items": [{"sku": sku, "quantity": 1, "unit_price_cents": 100} for sku in skus],
        "status": status,
        "updated_at": T0.isoformat(),
    }


ORDERS = [_order(1, 1, "A", "B"), _order(2, 2, "A", "C"), _order(3, 3, "B", "C")]
USERS = {1, 2, 3, 4}


class ScriptedSource:
    """Orders and users the test sets; each read of the orders is recorded."""

    def __init__(self) -> None:
        self.orders_by_id = {order["order_id"]: order for order in ORDERS}
        self.users = set(USERS)
        self.reads: list[datetime | None] = []
        self.failure: str | None = None

    async def orders(self, *, updated_since: datetime | None) -> list[dict[str, Any]]:
        self.reads.append(updated_since)
        if self.failure:
            raise SourceUnavailable(self.failure)
        return [
            order
            for order in self.orders_by_id.values()
            if updated_since is None or datetime.fromisoformat(order["updated_at"]) >= updated_since
        ]

    async def user_ids(self) -> set[int]:
        return set(self.users)

    def change(self, order: dict[str, Any]) -> None:
        """Add or change an order, as changed now."""
        self.orders_by_id[order["order_id"]] = {**order, "updated_at": datetime.now(UTC).isoformat()}


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client of the test's Redis db."""
    client: Redis = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def store(redis: Redis) -> RecommendationStore:
    """The model's keys in the test's db."""
    return RecommendationStore(redis)


@pytest.fixture
def source() -> ScriptedSource:
    """The scripted orders and users."""
    return ScriptedSource()


def _refresher(store: RecommendationStore, source: ScriptedSource, **options: Any) -> Refresher:
    values = {"interval": 0.05, "full_every": 100, "overlap": 2.0, "timeout": 5.0, **options}
    return Refresher(store=store, source=source, **values)


async def test_the_first_refresh_publishes_what_the_model_computes(
    store: RecommendationStore, source: ScriptedSource
) -> None:
    """Version 1 holds every user's picks as build_model computes them, the popular list,
    and 404 material for an unknown user."""
    assert await _refresher(store, source).refresh() == "published"
    expected = build_model(apply_orders({}, ORDERS), users=USERS)
    for user_id in USERS:
        found = await store.lookup(user_id)
        assert found.info is not None
        assert (found.info.version, found.info.orders, found.known) == (1, 3, True)
        strategy, picks = answer(expected, user_id, 50)
        assert (found.mine or found.popular)[:50] == picks, strategy
        assert (found.mine is None) == (strategy == "popular")
    assert not (await store.lookup(99)).known
    assert source.reads == [None]


async def test_later_refreshes_read_changes_since_the_last_start_less_the_overlap(
    store: RecommendationStore, source: ScriptedSource
) -> None:
    """The second read asks for changes since the first refresh's start, less 2 s; with
    nothing new the model is confirmed (same version, later refreshed_at)."""
    refresher = _refresher(store, source)
    before = datetime.now(UTC)
    await refresher.refresh()
    first = await store.info()
    assert first is not None and first.watermark is not None
    assert first.watermark >= before
    assert await refresher.refresh() == "unchanged"
    assert source.reads[1] == first.watermark - timedelta(seconds=2)
    second = await store.info()
    assert second is not None
    assert second.version == 1
    assert second.refreshed_at > first.refreshed_at


async def test_a_new_or_cancelled_order_is_published_incrementally(
    store: RecommendationStore, source: ScriptedSource
) -> None:
    """A new order makes version 2 (user 4 now has history); its cancellation, version 3."""
    refresher = _refresher(store, source)
    await refresher.refresh()
    assert (await store.lookup(4)).mine is None
    source.change(_order(4, 4, "A"))
    assert await refresher.refresh() == "published"
    found = await store.lookup(4)
    assert found.info is not None and found.info.version == 2
    assert found.mine is not None
    assert [pick.sku for pick in found.mine if not pick.popular] == ["B", "C"]
    source.change(_order(4, 4, "A", status="cancelled"))
    assert await refresher.refresh() == "published"
    found = await store.lookup(4)
    assert (found.info and found.info.version, found.mine) == (3, None)


async def test_a_deleted_order_leaves_at_the_full_rebuild(
    store: RecommendationStore, source: ScriptedSource
) -> None:
    """Deletions are invisible to incremental reads; one refresh in three reads everything."""
    refresher = _refresher(store, source, full_every=3)
    await refresher.refresh()
    del source.orders_by_id[3]
    for _ in range(2):
        await refresher.refresh()
    info = await store.info()
    assert info is not None and info.orders == 3
    await refresher.refresh()
    assert [since is None for since in source.reads] == [True, False, False, True]
    info = await store.info()
    assert info is not None and (info.orders, info.version) == (2, 2)


async def test_a_failed_refresh_keeps_the_last_good_model(
    store: RecommendationStore, source: ScriptedSource
) -> None:
    """The model stays readable; the answer says stale, the state names the reason, the
    counter counts the failure and the gauge says stale; a later success clears it."""
    registry = CollectorRegistry()
    refresher = _refresher(store, source, metrics=RecommendationMetrics(registry))
    await refresher.refresh()
    source.failure = "the gateway answered 502"
    assert await refresher.refresh() == "failed"
    found = await store.lookup(1)
    assert found.stale
    assert found.info is not None and found.info.version == 1
    assert found.mine
    await refresher.observe()
    assert refresher.state == "stale: the gateway answered 502"
    failed = {"outcome": "failed"}
    assert registry.get_sample_value("assistant_recommendations_refreshes_total", failed) == 1
    assert registry.get_sample_value("assistant_recommendations_model_stale") == 1
    age = registry.get_sample_value("assistant_recommendations_model_age_seconds")
    assert age is not None and 0 <= age < 60
    source.failure = None
    await refresher.refresh()
    await refresher.observe()
    assert (refresher.state, (await store.lookup(1)).stale) == ("ok", False)


async def test_only_the_lock_holder_refreshes(
    store: RecommendationStore, source: ScriptedSource
) -> None:
    """While another replica holds the lock a round does nothing; a round right after a
    refresh (by anyone) does nothing either."""
    held = store.lock(seconds=5)
    assert await held.acquire()
    refresher = _refresher(store, source, interval=60)
    assert await refresher.tick() is None
    assert source.reads == []
    await held.release()
    assert await refresher.tick() == "published"
    assert await _refresher(store, source, interval=60).tick() is None
    assert len(source.reads) == 1


async def test_an_older_refresher_cannot_overwrite_a_newer_model(
    store: RecommendationStore, source: ScriptedSource
) -> None:
    """Publishing over a model other than the one it started from is refused."""
    await _refresher(store, source).refresh()
    stale_start: ModelInfo | None = None
    model = build_model({}, users=set())
    info = await store.info()
    assert info is not None
    with pytest.raises(ModelMoved):
        await store.publish(model, {}, after=stale_start, info=info)
    assert (await store.lookup(1)).mine


async def test_ensure_builds_a_model_once_when_there_is_none(
    store: RecommendationStore, source: ScriptedSource
) -> None:
    """The worker's way in: no model, one refresh; a model already there, none."""
    refresher = _refresher(store, source)
    info = await refresher.ensure()
    assert info is not None and info.version == 1
    assert await refresher.ensure() == info
    assert len(source.reads) == 1
