"""The User Service's records: an in-memory store per app, seeded with John Doe (123)."""

from __future__ import annotations

from datetime import UTC, datetime

from backbone.mocks._common import RecordStore
from backbone.mocks.users.schemas import User, UserStats

SEEDED_AT = datetime(2026, 1, 1, tzinfo=UTC)
SEED = (
    (123, "John Doe", "john.doe@example.com"),
    (124, "Jane Roe", "jane.roe@example.com"),
    (125, "Alan Smithee", None),
)


def new_user_store() -> RecordStore[User]:
    """A fresh store holding the seeded users; new ids follow the highest seeded one."""
    seed = {
        user_id: User(
            user_id=user_id, name=name, email=email, created_at=SEEDED_AT, updated_at=SEEDED_AT
        )
        for user_id, name, email in SEED
    }
    return RecordStore(noun="user", seed=seed)


def user_stats(users: list[User]) -> UserStats:
    """How many users there are, how many have an email, and the newest id."""
    return UserStats(
        total=len(users),
        with_email=sum(user.email is not None for user in users),
        newest_user_id=max((user.user_id for user in users), default=None),
    )
