"""Rate limits of the assistant: logins per account and per client, registrations per
client, task submissions per user — token buckets in Redis (:mod:`backbone.core.ratelimit`),
shared by every API replica.

Past a limit the answer is 429 problem+json with ``Retry-After``. A login is counted,
and refused, *before* its password is verified: guessing costs the guesser, not the
server's CPU, and a right password past the limit is refused like a wrong one.

When Redis cannot be asked these limits **fail closed**: 503 with ``Retry-After``, not
a free pass. Unlike the gateway's limit (which fails open), the login limit is what
stands between a password and unlimited guessing, and an attacker who can make Redis
unreachable must not switch it off; registrations and submissions make accounts and
agent runs, which cost real resources. (Task submissions need the broker anyway,
which is Redis by default.)
"""

from __future__ import annotations

import math
import uuid

from redis.asyncio import Redis

from backbone.assistant.config import AssistantSettings
from backbone.core.problems import ProblemError
from backbone.core.ratelimit import RateLimiter, RateLimiterUnavailable

__all__ = ["AuthLimits", "Limit"]

PREFIX = "backbone:assistant:ratelimit:"
UNAVAILABLE_RETRY_AFTER = 5


class Limit:
    """One token bucket per key, answering 429 (over) or 503 (Redis unreachable)."""

    def __init__(self, redis: Redis, *, name: str, burst: int, per_minute: float, what: str):
        self.name = name
        self.what = what
        self.limiter = RateLimiter(
            redis, rate=per_minute / 60.0, burst=burst, prefix=f"{PREFIX}{name}:"
        )

    async def spend(self, key: str) -> None:
        """Spend a token of ``key``'s bucket; :class:`ProblemError` 429 or 503 when not."""
        try:
            decision = await self.limiter.acquire(key)
        except RateLimiterUnavailable:
            raise ProblemError(
                503,
                detail="The rate limiter cannot be reached; try again later.",
                headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
            ) from None
        if not decision.allowed:
            retry_after = max(1, math.ceil(decision.retry_after))
            raise ProblemError(
                429,
                detail=f"Too many {self.what}; try again in {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )


class AuthLimits:
    """Every limit of the assistant, from its settings, on one Redis client."""

    def __init__(self, redis: Redis, settings: AssistantSettings) -> None:
        self.login_account = Limit(
            redis,
            name="login-account",
            burst=settings.login_account_burst,
            per_minute=settings.login_account_per_minute,
            what="login attempts for this account",
        )
        self.login_client = Limit(
            redis,
            name="login-client",
            burst=settings.login_client_burst,
            per_minute=settings.login_client_per_minute,
            what="login attempts from this address",
        )
        self.register_client = Limit(
            redis,
            name="register-client",
            burst=settings.register_client_burst,
            per_minute=settings.register_client_per_minute,
            what="registrations from this address",
        )
        self.task_submit = Limit(
            redis,
            name="task-submit",
            burst=settings.task_submit_burst,
            per_minute=settings.task_submit_per_minute,
            what="task submissions",
        )

    async def login(self, *, email: str, client: str) -> None:
        """Count a login attempt for ``email`` (normalised) from ``client``; 429 past either."""
        await self.login_client.spend(client)
        await self.login_account.spend(email)

    async def register(self, *, client: str) -> None:
        """Count a registration from ``client``; 429 past the limit."""
        await self.register_client.spend(client)

    async def submit(self, user_id: uuid.UUID) -> None:
        """Count a task submission by ``user_id``; 429 past the limit."""
        await self.task_submit.spend(str(user_id))
