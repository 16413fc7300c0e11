"""The auth machinery one app holds: password hashing, tokens, rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

from backbone.assistant.auth.limits import AuthLimits
from backbone.assistant.auth.passwords import Passwords
from backbone.assistant.auth.tokens import AccessTokens
from backbone.assistant.config import AssistantSettings

__all__ = ["AuthContext"]


@dataclass(frozen=True, slots=True)
class AuthContext:
    """What the auth routes and dependencies use (``app.state.auth``)."""

    settings: AssistantSettings
    passwords: Passwords
    tokens: AccessTokens
    limits: AuthLimits

    @classmethod
    def create(cls, settings: AssistantSettings, redis: Redis) -> AuthContext:
        """Everything from ``settings``; the limits keep their buckets in ``redis``."""
        passwords = Passwords(
            time_cost=settings.password_time_cost,
            memory_kib=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
            concurrency=settings.password_hash_concurrency,
        )
        tokens = AccessTokens(
            secret=settings.jwt_secret.get_secret_value(),
            algorithm=settings.jwt_algorithm,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            lifetime=timedelta(minutes=settings.access_token_minutes),
            leeway=timedelta(seconds=settings.jwt_leeway_seconds),
        )
        return cls(settings, passwords, tokens, AuthLimits(redis, settings))

    @property
    def refresh_lifetime(self) -> timedelta:
        """How long a refresh token lives (each rotation starts it again)."""
        return timedelta(days=self.settings.refresh_token_days)
