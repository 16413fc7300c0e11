"""Request and response bodies of the auth and users routes (contracts/openapi/assistant.yaml)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from backbone.assistant.auth.models import EMAIL_LENGTH, Role, User
from backbone.assistant.auth.passwords import MAX_PASSWORD, MIN_PASSWORD, password_problem
from backbone.core.pagination import Page

__all__ = [
    "Email",
    "PasswordGrant",
    "RefreshRequest",
    "Registration",
    "TokenPair",
    "UserPage",
    "UserPublic",
    "normalise_email",
]

# A pragmatic address check (no mailbox is asked): a local part without spaces, control
# characters or "@", and a DNS name of two or more labels.
_EMAIL = re.compile(
    r"^[^\s@\x00-\x1f\x7f]{1,64}@"
    r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$"
)


def normalise_email(value: str) -> str:
    """``value`` stripped and lower-cased: the one form an email is stored and compared in."""
    return value.strip().lower()


def _valid_email(value: str) -> str:
    email = normalise_email(value)
    if len(email) > EMAIL_LENGTH or not _EMAIL.match(email):
        raise ValueError("not a valid email address")
    return email


Email = Annotated[str, Field(max_length=EMAIL_LENGTH + 64), AfterValidator(_valid_email)]
"""An email, validated and normalised (surrounding spaces may exceed the stored length)."""


class Registration(BaseModel):
    """The body of ``POST /v1/auth/register``."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: str = Field(
        min_length=MIN_PASSWORD,
        max_length=MAX_PASSWORD,
        description=f"{MIN_PASSWORD} to {MAX_PASSWORD} characters, not equal to the email.",
    )

    @model_validator(mode="after")
    def _password_allowed(self) -> Self:
        problem = password_problem(self.password, email=self.email)
        if problem is not None:
            raise ValueError(problem)
        return self


class PasswordGrant(BaseModel):
    """The form of ``POST /v1/auth/token`` (OAuth2's password grant; other members ignored)."""

    model_config = ConfigDict(extra="ignore")

    grant_type: Literal["password"] | None = None
    username: str = Field(min_length=1, max_length=EMAIL_LENGTH, description="The email.")
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)
    scope: str = Field(default="", max_length=200, description="Accepted and ignored.")


class RefreshRequest(BaseModel):
    """The body of ``POST /v1/auth/refresh`` and ``POST /v1/auth/logout``."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


class TokenPair(BaseModel):
    """An access token and the refresh token that renews it."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(ge=1, description="Seconds until the access token expires.")
    refresh_token: str


class UserPublic(BaseModel):
    """An account as the API shows it (never its password hash)."""

    user_id: uuid.UUID
    email: str
    role: Role
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserPublic:
        """The public view of ``user``."""
        return cls(
            user_id=user.id, email=user.email, role=Role(user.role), created_at=user.created_at
        )


UserPage = Page[UserPublic]
"""One page of users, newest first."""
