"""Datasets in PostgreSQL (SQLModel sessions on asyncpg), always scoped to their owner.

Every read names the owner: a dataset of another user is found exactly as often as one
that does not exist — never — so the routes answer both with the same 404. Reads for
listings never load ``content`` (the upload's bytes): only the worker reads it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import defer
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backbone.assistant.datasets import ParsedDataset
from backbone.assistant.datasets.models import Dataset

__all__ = [
    "create_dataset",
    "dataset_visible",
    "delete_dataset",
    "get_dataset",
    "page_of_datasets",
]


async def create_dataset(
    session: AsyncSession,
    *,
    owner: uuid.UUID,
    name: str,
    media_type: str,
    content: bytes,
    parsed: ParsedDataset,
) -> Dataset:
    """Record an upload (committed) and return it."""
    dataset = Dataset(
        owner_id=owner,
        name=name,
        media_type=media_type,
        size_bytes=len(content),
        rows=len(parsed.rows),
        columns=[{"name": column.name, "type": column.type} for column in parsed.columns],
        content=content,
    )
    session.add(dataset)
    await session.commit()
    await session.refresh(dataset, attribute_names=["id", "created_at"])
    return dataset


def _described() -> Any:
    return select(Dataset).options(defer(Dataset.content))  # type: ignore[arg-type]


async def get_dataset(
    session: AsyncSession, dataset_id: uuid.UUID, *, owner: uuid.UUID
) -> Dataset | None:
    """The owner's dataset with this id, without its content."""
    statement = _described().where(Dataset.id == dataset_id, Dataset.owner_id == owner)
    result = await session.exec(statement)
    dataset: Dataset | None = result.first()
    return dataset


async def dataset_visible(
    session: AsyncSession, dataset_id: uuid.UUID, *, owner: uuid.UUID
) -> bool:
    """True when the owner has a dataset with this id."""
    return await get_dataset(session, dataset_id, owner=owner) is not None


async def page_of_datasets(
    session: AsyncSession, *, owner: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[Dataset], int]:
    """A page of the owner's datasets (newest first) and how many they have in all."""
    statement = (
        _described()
        .where(Dataset.owner_id == owner)
        .order_by(col(Dataset.created_at).desc(), col(Dataset.id).desc())
        .limit(limit)
        .offset(offset)
    )
    items = (await session.exec(statement)).all()
    count = select(func.count()).select_from(Dataset).where(Dataset.owner_id == owner)
    total = (await session.exec(count)).one()
    return items, int(total)


async def delete_dataset(session: AsyncSession, dataset_id: uuid.UUID, *, owner: uuid.UUID) -> bool:
    """Delete the owner's dataset; True if there was one."""
    statement = delete(Dataset).where(col(Dataset.id) == dataset_id, col(Dataset.owner_id) == owner)
    result = await session.exec(statement)
    await session.commit()
    return bool(result.rowcount)
