"""Offset pagination over a stable order, with a ``next`` link that keeps the filters.

One page model for every list a service serves, in memory (:func:`page_of`) or from a
table (:meth:`Page.of`, given the page's items and the total that matched)::

    return Page[JobStatus].of(items, total=total, limit=limit, offset=offset,
                              path="/reports", filters={"status": status})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Generic, Self, TypeVar
from urllib.parse import urlencode

from fastapi import Query
from pydantic import BaseModel, Field

__all__ = ["MAX_LIMIT", "MAX_OFFSET", "Limit", "Offset", "Page", "page_of"]

T = TypeVar("T")

MAX_LIMIT = 100
MAX_OFFSET = 1_000_000

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description="The largest number of items on the page.")
]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many matching items to skip.")]


class Page(BaseModel, Generic[T]):
    """One page of a list: its items, how many match in all, and where the next page is."""

    items: list[T] = Field(max_length=MAX_LIMIT)
    total: int = Field(ge=0, description="How many items match the filters, over all pages.")
    limit: int = Field(ge=1, le=MAX_LIMIT)
    offset: int = Field(ge=0)
    next: str | None = Field(
        description="The relative URL of the next page (same filters), or null on the last."
    )

    @classmethod
    def of(
        cls,
        items: Sequence[T],
        *,
        total: int,
        limit: int,
        offset: int,
        path: str,
        filters: Mapping[str, object | None],
    ) -> Self:
        """The page holding ``items`` out of ``total``; ``next`` keeps the filters not None.

        A next page whose offset the list would refuse (past :data:`MAX_OFFSET`) is not offered.
        """
        following = None
        if offset + limit < total and offset + limit <= MAX_OFFSET:
            query = {name: value for name, value in filters.items() if value is not None}
            query.update(limit=limit, offset=offset + limit)
            following = f"{path}?{urlencode(query)}"
        return cls(items=list(items), total=total, limit=limit, offset=offset, next=following)


def page_of(
    matching: Sequence[T],
    *,
    limit: int,
    offset: int,
    path: str,
    filters: Mapping[str, object | None],
) -> Page[T]:
    """The page of ``matching`` (every matching item, in order) at ``offset``."""
    return Page[T].of(
        matching[offset : offset + limit],
        total=len(matching),
        limit=limit,
        offset=offset,
        path=path,
        filters=filters,
    )
