"""Records kept in process memory, by integer id, for one app instance.

Ids are issued in increasing order and never reused, so a deleted record stays 404,
and the dict's insertion order is the ascending id order lists are served in.
Each write checks ``If-Match`` and applies its change under one :class:`asyncio.Lock`,
so a check and the write it guards cannot be separated by another request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from starlette.responses import Response

from backbone.core.problems import ProblemError
from backbone.mocks._common._conditional import etag_for, match_fails, none_match, not_modified

R = TypeVar("R", bound=BaseModel)


def utcnow() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


def with_changes(record: R, changes: Mapping[str, Any]) -> R:
    """``record`` with ``changes`` and a new ``updated_at``; ``record`` itself if none differ."""
    if all(getattr(record, name) == value for name, value in changes.items()):
        return record
    return record.model_copy(update={**changes, "updated_at": utcnow()})


@dataclass(frozen=True, slots=True)
class Versioned(Generic[R]):
    """A record and the entity tag of its current representation."""

    record: R
    etag: str

    @classmethod
    def of(cls, record: R) -> Versioned[R]:
        """``record`` with its tag computed."""
        return cls(record, etag_for(record))


class RecordStore(Generic[R]):
    """One kind of record (``noun`` names it in error details) behind one lock."""

    def __init__(self, *, noun: str, seed: Mapping[int, R] | None = None) -> None:
        self.noun = noun
        seed = seed or {}
        self._records = {key: Versioned.of(seed[key]) for key in sorted(seed)}
        self._last_id = max(self._records, default=0)
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._records)

    def _current(self, record_id: int, if_match: str | None = None) -> Versioned[R]:
        current = self._records.get(record_id)
        if current is None:
            raise ProblemError(404, detail=f"No {self.noun} has id {record_id}.")
        if match_fails(if_match, current.etag):
            detail = f"If-Match does not match the {self.noun}'s current ETag; nothing changed."
            raise ProblemError(412, detail=detail)
        return current

    async def get(self, record_id: int) -> Versioned[R]:
        """The record with this id (404 if there is none)."""
        async with self._lock:
            return self._current(record_id)

    async def select(self, keep: Callable[[R], bool] | None = None) -> list[R]:
        """The records ``keep`` accepts (all by default), in ascending id order."""
        async with self._lock:
            return [v.record for v in self._records.values() if keep is None or keep(v.record)]

    async def create(self, build: Callable[[int], R]) -> Versioned[R]:
        """Store ``build(new_id)`` under an id greater than every id ever issued."""
        async with self._lock:
            self._last_id += 1
            created = self._records[self._last_id] = Versioned.of(build(self._last_id))
            return created

    async def update(
        self, record_id: int, change: Callable[[R], R], *, if_match: str | None = None
    ) -> Versioned[R]:
        """Replace the record by ``change(record)``; 404, 412, or whatever ``change`` raises
        leave it as it was."""
        async with self._lock:
            current = self._current(record_id, if_match)
            changed = change(current.record)
            if changed is current.record:
                return current
            updated = self._records[record_id] = Versioned.of(changed)
            return updated

    async def delete(self, record_id: int, *, if_match: str | None = None) -> None:
        """Forget the record for good (404 if there is none, 412 if ``If-Match`` fails)."""
        async with self._lock:
            self._current(record_id, if_match)
            del self._records[record_id]


def tagged(response: Response, current: Versioned[R]) -> R:
    """``current``'s record, with its ``ETag`` set on the response being built."""
    response.headers["ETag"] = current.etag
    return current.record


def tagged_unless_fresh(
    response: Response, current: Versioned[R], if_none_match: str | None
) -> R | Response:
    """``current``'s record with its ``ETag``, or a bare 304 when ``If-None-Match`` names it."""
    if none_match(if_none_match, current.etag):
        return not_modified(current.etag)
    return tagged(response, current)
