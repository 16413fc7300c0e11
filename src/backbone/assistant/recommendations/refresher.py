"""Keeping the model current: one replica at a time refreshes it, every replica reads it.

Every API process runs :meth:`Refresher.run` in its lifespan. Each round, the replica
that takes the Redis lock (an expiring one, so a dead holder frees it) refreshes if the
last refresh, by anyone, is at least an interval old; every replica then reads the
model's state for ``/readyz``. A refresh reads the orders changed since the last one's
start (less :attr:`overlap`, for clock skew: reading an order twice changes nothing),
and every order again each :attr:`full_every` refreshes, which is how a deleted order
leaves the model. A model is published only when its orders or users changed.

A refresh that fails keeps the last good model: the failure is recorded in Redis (every
replica's answers say ``stale``, ``/readyz`` names the reason) and counted.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge
from redis.exceptions import LockError, RedisError

from backbone.assistant.recommendations.model import OrderBook, apply_orders, build_model
from backbone.assistant.recommendations.source import ModelSource, SourceUnavailable
from backbone.assistant.recommendations.store import (
    ModelInfo,
    ModelMoved,
    RecommendationStore,
    RefreshStatus,
)

__all__ = ["Outcome", "RecommendationMetrics", "Refresher"]

logger = logging.getLogger(__name__)

Outcome = Literal["published", "unchanged", "failed"]
LOCK_MARGIN_SECONDS = 10.0


def _now() -> datetime:
    return datetime.now(UTC)


class RecommendationMetrics:
    """``assistant_recommendations_*`` in an app's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.refreshes = Counter(
            "assistant_recommendations_refreshes",
            "Refreshes of the recommendation model this process ran, by outcome.",
            ("outcome",),
            registry=registry,
        )
        self.age = Gauge(
            "assistant_recommendations_model_age_seconds",
            "Seconds since the model was last confirmed current (NaN before the first model).",
            registry=registry,
        )
        self.stale = Gauge(
            "assistant_recommendations_model_stale",
            "1 when the last refresh failed and the last good model is served.",
            registry=registry,
        )

    def observe(self, info: ModelInfo | None, status: RefreshStatus | None) -> None:
        """Set the gauges from the model's info and the last refresh's status."""
        age = math.nan if info is None else (_now() - info.refreshed_at).total_seconds()
        self.age.set(age)
        self.stale.set(1 if status is not None and status.failed else 0)


@dataclass
class Refresher:
    """Refreshes the model in ``store`` from ``source``; see the module's description."""

    store: RecommendationStore
    source: ModelSource
    interval: float = 5.0
    full_every: int = 60
    overlap: float = 5.0
    timeout: float = 60.0
    metrics: RecommendationMetrics | None = None
    state: str = "building"
    """``/readyz``'s word on the model: ``building``, ``ok`` or ``stale: <reason>``."""
    _basis: tuple[int, OrderBook, frozenset[int]] | None = field(default=None, repr=False)

    async def refresh(self) -> Outcome:
        """One refresh (the caller holds the lock): publish, confirm, or record a failure."""
        try:
            async with asyncio.timeout(self.timeout):
                outcome = await self._refresh()
        except (SourceUnavailable, RedisError, ModelMoved, TimeoutError, ValueError) as exc:
            reason = str(exc) or type(exc).__name__
            logger.warning("recommendations_refresh_failed reason=%s", reason)
            await self._record(RefreshStatus(at=_now(), reason=reason))
            outcome = "failed"
        else:
            await self._record(RefreshStatus(at=_now()))
        if self.metrics is not None:
            self.metrics.refreshes.labels(outcome=outcome).inc()
        return outcome

    async def _refresh(self) -> Outcome:
        started = _now()
        after = await self.store.info()
        watermark = after.watermark if after is not None else None
        full = watermark is None or after is None or after.since_full + 1 >= self.full_every
        since = None if full or watermark is None else watermark - timedelta(seconds=self.overlap)
        changed = await self.source.orders(updated_since=since)
        users = frozenset(await self.source.user_ids())
        old_book, old_users = await self._basis_of(after)
        book = apply_orders({} if full else old_book, changed)
        info = ModelInfo(
            version=0,
            built_at=started,
            refreshed_at=_now(),
            orders=len(book),
            watermark=started,
            since_full=0 if full or after is None else after.since_full + 1,
        )
        if after is not None and book == old_book and users == old_users:
            await self.store.confirm(after=after, info=info)
            logger.info("recommendations_unchanged version=%d full=%s", after.version, full)
            return "unchanged"
        model = build_model(book, users=users)
        published = await self.store.publish(model, book, after=after, info=info)
        self._basis = (published.version, book, users)
        logger.info(
            "recommendations_published version=%d orders=%d users=%d changed=%d full=%s",
            published.version, len(book), len(users), len(changed), full,
        )  # fmt: skip
        return "published"

    async def _basis_of(self, info: ModelInfo | None) -> tuple[OrderBook, frozenset[int]]:
        """The orders and users of the published model (kept from this process's last
        publication when it is still the published one, read from Redis otherwise)."""
        if info is None:
            return {}, frozenset()
        if self._basis is not None and self._basis[0] == info.version:
            return self._basis[1], self._basis[2]
        book, users = await self.store.basis()
        self._basis = (info.version, book, users)
        return book, users

    async def _record(self, status: RefreshStatus) -> None:
        try:
            await self.store.set_status(status)
        except RedisError as exc:
            logger.warning("recommendations_status_unrecorded error=%r", exc)

    async def tick(self) -> Outcome | None:
        """One round: refresh if this replica takes the lock and a refresh is due."""
        lock = self.store.lock(seconds=self.timeout + LOCK_MARGIN_SECONDS)
        if not await lock.acquire():
            return None
        try:
            last = await self.store.status()
            due = last is None or (_now() - last.at).total_seconds() >= 0.9 * self.interval
            return await self.refresh() if due else None
        finally:
            try:
                await lock.release()
            except LockError:
                logger.warning("recommendations_lock_lost")

    async def ensure(self) -> ModelInfo | None:
        """The published model's info, after building one now if there is none yet
        (waiting for the lock: another process may be building it)."""
        info = await self.store.info()
        if info is not None:
            return info
        lock = self.store.lock(seconds=self.timeout + LOCK_MARGIN_SECONDS)
        if not await lock.acquire(blocking=True, blocking_timeout=self.timeout):
            return await self.store.info()
        try:
            if await self.store.info() is None:
                await self.refresh()
        finally:
            try:
                await lock.release()
            except LockError:
                logger.warning("recommendations_lock_lost")
        return await self.store.info()

    async def observe(self) -> None:
        """Read the model's state (for ``/readyz`` and the gauges)."""
        info, status = await self.store.info(), await self.store.status()
        if info is None:
            self.state = "building"
        elif status is not None and status.reason is not None:
            self.state = f"stale: {status.reason}"
        else:
            self.state = "ok"
        if self.metrics is not None:
            self.metrics.observe(info, status)

    async def run(self) -> None:
        """Refresh (when due) and observe every interval, until cancelled."""
        while True:
            try:
                await self.tick()
                await self.observe()
            except RedisError as exc:
                self.state = f"stale: Redis: {exc}"
                logger.warning("recommendations_round_failed error=%r", exc)
            await asyncio.sleep(self.interval)
