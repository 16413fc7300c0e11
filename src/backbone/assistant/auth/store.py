"""The account tables' reads and writes, in the request's session.

Refresh tokens rotate inside one transaction that locks the presented token's row
(``SELECT ... FOR UPDATE``): of two requests presenting the same token at once, one
rotates it and the other, once the lock is free, finds it spent and revokes the family
— the new token included. A revocation is committed before the 401 is raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backbone.assistant.auth.models import RefreshToken, User, utcnow
from backbone.assistant.auth.tokens import hash_refresh_token, new_refresh_token
from backbone.assistant.tasks.models import AgentTask

__all__ = [
    "Refused",
    "Rotation",
    "create_user",
    "delete_user",
    "issue_refresh_token",
    "page_of_users",
    "revoke_family",
    "rotate_refresh_token",
    "set_password_hash",
    "user_by_email",
    "user_by_id",
]


async def create_user(
    session: AsyncSession, *, email: str, password_hash: str, role: str
) -> User | None:
    """Insert and commit a user; None when the email is taken (the unique index says so)."""
    user = User(email=email, password_hash=password_hash, role=role)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return user


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with this (normalised) email."""
    return (await session.exec(select(User).where(User.email == email))).first()


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The user with this id."""
    return await session.get(User, user_id)


async def set_password_hash(session: AsyncSession, user: User, password_hash: str) -> None:
    """Store a new hash of the same password (parameters changed); committed."""
    user.password_hash = password_hash
    session.add(user)
    await session.commit()


async def delete_user(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Delete the user; its tokens, tasks and datasets go with it (ON DELETE CASCADE).
    The ids of its tasks, whose files the caller removes."""
    deleted = delete(AgentTask).where(col(AgentTask.owner_id) == user_id)
    tasks = await session.exec(deleted.returning(col(AgentTask.id)))
    task_ids = [row[0] for row in tasks.all()]
    await session.exec(delete(User).where(col(User.id) == user_id))
    await session.commit()
    return task_ids


async def page_of_users(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    """A page of users, newest first, and how many there are."""
    query = select(User).order_by(col(User.created_at).desc(), col(User.id).desc())
    users = (await session.exec(query.limit(limit).offset(offset))).all()
    total = (await session.exec(select(func.count()).select_from(User))).one()
    return users, total


async def issue_refresh_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    lifetime: timedelta,
    family_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> str:
    """Add a refresh token (a new family unless ``family_id``) to the session; its text.

    The caller commits.
    """
    token, token_hash = new_refresh_token()
    now = now or utcnow()
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id or uuid.uuid4(),
            token_hash=token_hash,
            issued_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


class Refused(Enum):
    """Why a refresh token was not exchanged."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REUSED = "reused"  # spent or revoked: the family is revoked now


@dataclass(frozen=True, slots=True)
class Rotation:
    """A refresh token's exchange: the user and the next token, or why not."""

    user: User | None = None
    token: str | None = None
    refused: Refused | None = None


async def rotate_refresh_token(
    session: AsyncSession, token: str, *, lifetime: timedelta
) -> Rotation:
    """Spend ``token`` for the next one of its family, in one transaction (committed)."""
    now = utcnow()
    query = (
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_refresh_token(token))
        .with_for_update()
    )
    row = (await session.exec(query)).first()
    if row is None:
        await session.rollback()
        return Rotation(refused=Refused.UNKNOWN)
    if row.used_at is not None or row.revoked_at is not None:
        await _revoke(session, row.family_id, now)
        await session.commit()
        return Rotation(refused=Refused.REUSED)
    if row.expires_at <= now:
        await session.rollback()
        return Rotation(refused=Refused.EXPIRED)
    user = await session.get(User, row.user_id)
    if user is None:  # deleted meanwhile (its tokens go with it)
        await session.rollback()
        return Rotation(refused=Refused.UNKNOWN)
    row.used_at = now
    session.add(row)
    next_token = await issue_refresh_token(
        session, user_id=row.user_id, family_id=row.family_id, lifetime=lifetime, now=now
    )
    await session.commit()
    return Rotation(user=user, token=next_token)


async def revoke_family(session: AsyncSession, token: str, *, user_id: uuid.UUID) -> None:
    """Revoke every token of ``token``'s family, if ``token`` is ``user_id``'s (committed)."""
    query = select(RefreshToken.family_id).where(
        RefreshToken.token_hash == hash_refresh_token(token), RefreshToken.user_id == user_id
    )
    family_id = (await session.exec(query)).first()
    if family_id is not None:
        await _revoke(session, family_id, utcnow())
    await session.commit()


async def _revoke(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    statement = (
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.exec(statement)
