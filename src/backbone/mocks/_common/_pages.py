"""Offset pagination over a stable order, with a ``next`` link that keeps the filters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Query
from pydantic import BaseModel, Field

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


def page_of(
    matching: Sequence[T],
    *,
    limit: int,
    offset: int,
    path: str,
    filters: Mapping[str, object | None],
) -> Page[T]:
    """The page of ``matching`` at ``offset``; filters that are None stay out of ``next``."""
    following = None
    if offset + limit < len(matching):
        query = {name: value for name, value in filters.items() if value is not None}
        query.update(limit=limit, offset=offset + limit)
        following = f"{path}?{urlencode(query)}"
    return Page(
        items=list(matching[offset : offset + limit]),
        total=len(matching),
        limit=limit,
        offset=offset,
        next=following,
    )
