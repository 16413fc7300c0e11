"""The account tables: users, and the refresh tokens issued to them.

An email is stored normalised (stripped, lower-case) and is unique. A password is
stored only as its Argon2id hash, a refresh token only as the SHA-256 of its text.
Refresh tokens come in families: the one a login issues starts a family, and each
rotation adds the next one to it; presenting a spent token revokes the whole family.
Deleting a user deletes its tokens (and its tasks and datasets) with it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, Index, String, Table
from sqlmodel import Field, SQLModel

__all__ = ["REFRESH_TOKENS", "USERS", "RefreshToken", "Role", "User", "utcnow"]

_TIMESTAMP = DateTime(timezone=True)
EMAIL_LENGTH = 254


def utcnow() -> datetime:
    """Now, timezone-aware (UTC)."""
    return datetime.now(UTC)


class Role(StrEnum):
    """What an account may do: its own things (``user``), or also administer (``admin``)."""

    USER = "user"
    ADMIN = "admin"


class User(SQLModel, table=True):
    """One account."""

    __tablename__ = "assistant_users"
    __table_args__ = (
        Index("ux_assistant_users_email", "email", unique=True),
        Index("ix_assistant_users_created", "created_at"),
        CheckConstraint("email = lower(email)", name="ck_assistant_users_email_lower"),
        CheckConstraint("role IN ('user', 'admin')", name="ck_assistant_users_role"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_type=String(EMAIL_LENGTH), nullable=False)
    password_hash: str = Field(sa_type=String(255), nullable=False)
    role: str = Field(default=Role.USER.value, sa_type=String(16), nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=_TIMESTAMP, nullable=False)

    @property
    def is_admin(self) -> bool:
        """True for the ``admin`` role."""
        return self.role == Role.ADMIN.value


class RefreshToken(SQLModel, table=True):
    """One refresh token (its hash), of one family, of one user."""

    __tablename__ = "assistant_refresh_tokens"
    __table_args__ = (
        Index("ux_assistant_refresh_tokens_hash", "token_hash", unique=True),
        Index("ix_assistant_refresh_tokens_family", "family_id"),
        Index("ix_assistant_refresh_tokens_user", "user_id"),
        Index("ix_assistant_refresh_tokens_expires", "expires_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="assistant_users.id", ondelete="CASCADE")
    family_id: uuid.UUID = Field(nullable=False)
    token_hash: str = Field(sa_type=String(64), nullable=False)
    """SHA-256 of the token, hex."""
    issued_at: datetime = Field(default_factory=utcnow, sa_type=_TIMESTAMP, nullable=False)
    expires_at: datetime = Field(sa_type=_TIMESTAMP, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)
    """When it was exchanged for the next one (it works once)."""
    revoked_at: datetime | None = Field(default=None, sa_type=_TIMESTAMP)


USERS: Table = User.__table__  # type: ignore[attr-defined]
REFRESH_TOKENS: Table = RefreshToken.__table__  # type: ignore[attr-defined]
