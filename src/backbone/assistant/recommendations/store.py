"""The recommendation model in Redis, so every API replica (and the worker) answers from
the same one.

Keys, under :data:`PREFIX`::

    meta     JSON: version, built_at, orders, watermark, since_full, refreshed_at
    users    SET of the User Service's user ids (anyone else is 404)
    picks    HASH user id -> JSON list of that customer's picks (up to 50)
    popular  JSON list of the popular picks (a known user with no orders)
    book     JSON: the counted orders, for the next incremental refresh
    status   JSON: the last refresh's outcome (ok, or why it failed) and when
    lock     the refresher's lock (redis-py's Lock: a token and an expiry)

A new model is published in one MULTI/EXEC under WATCH of ``meta``: readers see the old
model or the new one, never a mix, and a refresher whose lock expired under it cannot
overwrite a newer model with an older one. Reading an answer is one MULTI/EXEC round
trip (a consistent snapshot of meta, status, the user and the popular list).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import WatchError

from backbone.assistant.recommendations.model import Model, OrderBook, Pick, Purchase

__all__ = [
    "PREFIX",
    "Lookup",
    "ModelInfo",
    "ModelMoved",
    "RecommendationStore",
    "RefreshStatus",
]

PREFIX = "assistant:recommendations:"


class ModelMoved(RuntimeError):
    """Another refresher published while this one worked: its model is dropped."""


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The published model: its version, when it was built and last confirmed current,
    how many orders it counts, and where the next incremental refresh starts."""

    version: int
    built_at: datetime
    refreshed_at: datetime
    orders: int
    watermark: datetime | None
    since_full: int

    def dumps(self) -> str:
        """The stored form."""
        values = asdict(self)
        for name in ("built_at", "refreshed_at", "watermark"):
            values[name] = values[name].isoformat() if values[name] else None
        return json.dumps(values)

    @classmethod
    def loads(cls, text: bytes | str) -> ModelInfo:
        """From the stored form."""
        values: dict[str, Any] = json.loads(text)
        return cls(
            version=int(values["version"]),
            built_at=datetime.fromisoformat(values["built_at"]),
            refreshed_at=datetime.fromisoformat(values["refreshed_at"]),
            orders=int(values["orders"]),
            watermark=_time(values.get("watermark")),
            since_full=int(values["since_full"]),
        )


@dataclass(frozen=True, slots=True)
class RefreshStatus:
    """How the last refresh went: ``reason`` is None when it succeeded."""

    at: datetime
    reason: str | None = None

    @property
    def failed(self) -> bool:
        """True when the last refresh failed."""
        return self.reason is not None

    def dumps(self) -> str:
        """The stored form."""
        return json.dumps({"at": self.at.isoformat(), "reason": self.reason})

    @classmethod
    def loads(cls, text: bytes | str) -> RefreshStatus:
        """From the stored form."""
        values = json.loads(text)
        return cls(at=datetime.fromisoformat(values["at"]), reason=values.get("reason"))


@dataclass(frozen=True, slots=True)
class Lookup:
    """What one answer needs, read in one round trip."""

    info: ModelInfo | None
    status: RefreshStatus | None
    known: bool
    mine: list[Pick] | None
    popular: list[Pick]

    @property
    def stale(self) -> bool:
        """True when the last refresh failed (the model is the last good one)."""
        return self.status is not None and self.status.failed


def _picks(text: bytes | str | None) -> list[Pick] | None:
    return None if text is None else [Pick.from_json(item) for item in json.loads(text)]


def _dump_picks(picks: list[Pick]) -> str:
    return json.dumps([pick.to_json() for pick in picks], separators=(",", ":"))


def _dump_book(book: Mapping[int, Purchase]) -> str:
    rows = {str(k): [p.user_id, sorted(p.skus)] for k, p in book.items()}
    return json.dumps(rows, separators=(",", ":"))


def _load_book(text: bytes | str | None) -> OrderBook:
    if text is None:
        return {}
    rows: dict[str, list[Any]] = json.loads(text)
    return {int(k): Purchase(int(user), frozenset(skus)) for k, (user, skus) in rows.items()}


class RecommendationStore:
    """The model's keys in one Redis database."""

    def __init__(self, redis: Redis, *, prefix: str = PREFIX) -> None:
        self.redis = redis
        self.keys = {
            name: prefix + name for name in ("meta", "users", "picks", "popular", "book", "status")
        }
        self.lock_name = prefix + "lock"

    async def lookup(self, user_id: int) -> Lookup:
        """The model's info, the last refresh's status, and ``user_id``'s picks."""
        keys = self.keys
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(keys["meta"])
            pipe.get(keys["status"])
            pipe.sismember(keys["users"], str(user_id))
            pipe.hget(keys["picks"], str(user_id))
            pipe.get(keys["popular"])
            meta, status, known, mine, popular = await pipe.execute()
        return Lookup(
            info=None if meta is None else ModelInfo.loads(meta),
            status=None if status is None else RefreshStatus.loads(status),
            known=bool(known),
            mine=_picks(mine),
            popular=_picks(popular) or [],
        )

    async def info(self) -> ModelInfo | None:
        """The published model's info (None before the first model)."""
        meta = await self.redis.get(self.keys["meta"])
        return None if meta is None else ModelInfo.loads(meta)

    async def status(self) -> RefreshStatus | None:
        """The last refresh's outcome (None before the first refresh)."""
        status = await self.redis.get(self.keys["status"])
        return None if status is None else RefreshStatus.loads(status)

    async def set_status(self, status: RefreshStatus) -> None:
        """Record the last refresh's outcome."""
        await self.redis.set(self.keys["status"], status.dumps())

    async def basis(self) -> tuple[OrderBook, frozenset[int]]:
        """The published model's counted orders and known users (what a refresh starts from)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self.keys["book"])
            pipe.smembers(self.keys["users"])
            book, users = await pipe.execute()
        return _load_book(book), frozenset(int(user) for user in users)

    def lock(self, *, seconds: float) -> Lock:
        """The refresher's lock, expiring after ``seconds`` if its holder dies."""
        return self.redis.lock(self.lock_name, timeout=seconds, blocking=False)

    async def publish(
        self,
        model: Model,
        book: Mapping[int, Purchase],
        *,
        after: ModelInfo | None,
        info: ModelInfo,
    ) -> ModelInfo:
        """Replace the model published as ``after`` by ``model`` (``info``'s version is
        ``after``'s plus one); :class:`ModelMoved` if another was published meanwhile."""
        keys = self.keys
        info = replace(info, version=(after.version if after else 0) + 1)
        async with self.redis.pipeline(transaction=True) as pipe:
            await self._expect(pipe, after)
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.delete(keys["users"], keys["picks"])
            if model.users:
                pipe.sadd(keys["users"], *(str(user) for user in model.users))
            if model.picks:
                picks = {str(user): _dump_picks(p) for user, p in model.picks.items()}
                pipe.hset(keys["picks"], mapping=picks)  # type: ignore[arg-type]
            pipe.set(keys["popular"], _dump_picks(model.popular))
            pipe.set(keys["book"], _dump_book(book))
            pipe.set(keys["meta"], info.dumps())
            await self._execute(pipe)
        return info

    async def confirm(self, *, after: ModelInfo, info: ModelInfo) -> None:
        """Record that the model ``after`` is still current (``info``: new watermark and
        refresh time, same version); :class:`ModelMoved` if another was published."""
        async with self.redis.pipeline(transaction=True) as pipe:
            await self._expect(pipe, after)
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(self.keys["meta"], replace(info, version=after.version).dumps())
            await self._execute(pipe)

    async def _expect(self, pipe: Any, after: ModelInfo | None) -> None:
        await pipe.watch(self.keys["meta"])
        meta = await pipe.get(self.keys["meta"])
        version = None if meta is None else ModelInfo.loads(meta).version
        if version != (after.version if after else None):
            raise ModelMoved(f"version {version} was published meanwhile")

    @staticmethod
    async def _execute(pipe: Any) -> None:
        try:
            await pipe.execute()
        except WatchError as exc:
            raise ModelMoved("another model was published meanwhile") from exc

    async def clear(self) -> None:
        """Forget the model and its status (tests, and an operator starting over)."""
        await self.redis.delete(*self.keys.values(), self.lock_name)
