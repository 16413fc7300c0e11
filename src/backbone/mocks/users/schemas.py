"""Request and response bodies of contracts/openapi/users.yaml."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from backbone.mocks._common import Page, refuse_null

EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"

Name = Annotated[str, StringConstraints(min_length=1, max_length=100, strict=True)]
Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN, strict=True)]


class UserCreate(BaseModel):
    """The writable fields, for ``POST /users`` and ``PUT /users/{user_id}``."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email | None = Field(default=None, description="Optional; null means no email.")


class UserPatch(BaseModel):
    """A JSON merge patch (RFC 7396): members present are set; ``email: null`` removes it."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(default=None, description="Cannot be removed (null is refused).")
    email: Email | None = None

    _name_not_null = field_validator("name", mode="before")(refuse_null)


class User(BaseModel):
    """A user as stored and served."""

    user_id: int = Field(ge=1, le=2_147_483_647)
    name: str
    email: str | None = None
    created_at: datetime
    updated_at: datetime


UserPage = Page[User]


class UserStats(BaseModel):
    """Counts over the user store."""

    total: int = Field(ge=0, description="How many users are stored.")
    with_email: int = Field(ge=0, description="How many of them have an email.")
    newest_user_id: int | None = Field(description="The highest stored id, null when none.")


class SlowResult(BaseModel):
    """The answer of ``/users/slow``."""

    delay: float = Field(ge=0, description="The seconds waited.")


class SessionResult(BaseModel):
    """The answer of ``/users/session``."""

    session: str = Field(pattern=r"^[0-9a-f]{32}$")
    visits: int = Field(ge=1)
    received_cookies: dict[str, str]
