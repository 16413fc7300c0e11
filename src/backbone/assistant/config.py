"""The assistant's settings: tokens, login and submission limits, datasets, its job queue.

Every value has a ``BACKBONE_ASSISTANT_*`` variable (the queue's settings are the jobs
layer's, :class:`~backbone.jobs.JobQueueSettings`, under this prefix); the core settings
keep their own names (``REDIS_URL``, ``DATABASE_URL``, ``ENVIRONMENT``...).

**The JWT secret.** ``BACKBONE_ASSISTANT_JWT_SECRET`` signs the access tokens (HS256,
the one algorithm accepted). Its default is a placeholder that works in
``development`` only: any other environment refuses to start with it, and with any
secret shorter than 32 bytes (HS256 needs 256 bits of key). It is a
:class:`~pydantic.SecretStr`: never shown in logs or ``repr``.

**Admins.** ``BACKBONE_ASSISTANT_ADMIN_EMAILS`` (a JSON list or comma-separated emails):
an account registered with one of them gets the ``admin`` role. Registration checks no
mailbox, so set it before the service is reachable by others, and register those
accounts first.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from backbone.core.config import env_list
from backbone.jobs import JobQueueSettings

__all__ = ["DEVELOPMENT_JWT_SECRET", "MIN_JWT_SECRET_BYTES", "AssistantSettings", "get_settings"]

DEVELOPMENT_JWT_SECRET = "development-only-jwt-secret-change-me"  # noqa: S105 - a placeholder
"""The default secret: refused outside ``development``."""
MIN_JWT_SECRET_BYTES = 32
_PUBLIC_KEY_MARKERS = ("-----BEGIN", "ssh-rsa", "ssh-ed25519", "ecdsa-sha2-")
MIB = 1024 * 1024


class AssistantSettings(JobQueueSettings):
    """``BACKBONE_ASSISTANT_*`` (and the core) settings of the API and the worker."""

    # A refused value is not echoed in the error: it may be the secret.
    model_config = SettingsConfigDict(env_prefix="BACKBONE_ASSISTANT_", hide_input_in_errors=True)

    queue: str = Field(default="assistant", pattern=r"^[a-z][a-z0-9_.-]{0,63}$")

    # -- tokens
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    """The HS256 key of the access tokens (at least 32 bytes; the default is development's)."""
    jwt_algorithm: Literal["HS256"] = "HS256"
    """Pinned: tokens signed with any other algorithm (``none`` included) are refused."""
    jwt_issuer: str = Field(default="backbone-assistant", min_length=1, max_length=200)
    jwt_audience: str = Field(default="backbone-assistant", min_length=1, max_length=200)
    jwt_leeway_seconds: int = Field(default=10, ge=0, le=300)
    """Clock skew tolerated on ``exp``, ``nbf`` and ``iat``."""
    access_token_minutes: int = Field(default=15, ge=1, le=1440)
    refresh_token_days: int = Field(default=14, ge=1, le=365)

    # -- accounts and passwords
    admin_emails: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Emails whose account is made an admin when it registers."""
    password_time_cost: int = Field(default=3, ge=1, le=20)
    """Argon2id passes (argon2-cffi's default); hashes with other parameters are redone at login."""
    password_memory_kib: int = Field(default=65536, ge=1024, le=4 * 1024 * 1024)
    """Argon2id memory per hash, KiB (64 MiB: argon2-cffi's default, RFC 9106's second choice)."""
    password_parallelism: int = Field(default=4, ge=1, le=64)
    password_hash_concurrency: int = Field(default=8, ge=1, le=256)
    """Hashes computed at once per process (each takes ``password_memory_kib``)."""

    # -- rate limits (token buckets in Redis: ``burst`` at once, ``per_minute`` refill)
    login_account_burst: int = Field(default=5, ge=1, le=10_000)
    login_account_per_minute: float = Field(default=5.0, gt=0, le=600_000)
    """Login attempts per account (normalised email), whatever the client."""
    login_client_burst: int = Field(default=20, ge=1, le=10_000)
    login_client_per_minute: float = Field(default=20.0, gt=0, le=600_000)
    """Login attempts per client address, whatever the account."""
    register_client_burst: int = Field(default=10, ge=1, le=10_000)
    register_client_per_minute: float = Field(default=10.0, gt=0, le=600_000)
    """Registrations per client address."""
    task_submit_burst: int = Field(default=10, ge=1, le=10_000)
    task_submit_per_minute: float = Field(default=30.0, gt=0, le=600_000)
    """Task submissions per user."""
    limiter_timeout: float = Field(default=1.0, gt=0, le=30)
    """Seconds the limiters wait for Redis before answering 503."""

    # -- datasets and tools
    data_dir: Path = Path(".backbone/assistant")
    """Where artifacts (charts) and CrewAI's own files are kept (created if missing)."""
    dataset_max_bytes: int = Field(default=10 * MIB, ge=1, le=1024 * MIB)
    dataset_max_rows: int = Field(default=100_000, ge=1, le=10_000_000)
    dataset_max_columns: int = Field(default=200, ge=1, le=10_000)
    gateway_url: str = Field(
        default="http://127.0.0.1:8000",
        validation_alias=AliasChoices(
            "BACKBONE_ASSISTANT_GATEWAY_URL", "BACKBONE_GATEWAY_URL", "gateway_url"
        ),
    )
    """The API gateway, which the orders source reads the Order Service through
    (``BACKBONE_GATEWAY_URL``, which ``backbone up`` sets, is read too)."""
    reports_url: str = Field(
        default="http://127.0.0.1:8001",
        validation_alias=AliasChoices(
            "BACKBONE_ASSISTANT_REPORTS_URL", "BACKBONE_REPORTS_URL", "reports_url"
        ),
    )
    """The report processor's API, which an automation's ``generate_report`` calls
    (``BACKBONE_REPORTS_URL``, which ``backbone up`` sets, is read too)."""
    events_poll_seconds: float = Field(default=0.25, gt=0, le=10)
    """How often a task's event stream looks for new steps while nothing happens."""

    # -- recommendations (a model in Redis, refreshed from the gateway by one API replica)
    recommendations_refresh_seconds: float = Field(default=5.0, ge=0.1, le=3600)
    """How often the model is refreshed from the orders changed since the last refresh."""
    recommendations_full_every: int = Field(default=60, ge=1, le=100_000)
    """Every this many refreshes, every order is read again (to see deleted orders)."""
    recommendations_overlap_seconds: float = Field(default=5.0, ge=0, le=3600)
    """How far before the last refresh's start the next one reads changes (clock skew)."""
    recommendations_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    """The longest one refresh may take (the replica's lock outlives it by 10 s)."""
    recommendations_key_prefix: str = Field(
        default="assistant:recommendations:", pattern=r"^[A-Za-z0-9_.:-]{1,100}$"
    )
    """Where in Redis the model lives: stacks sharing one Redis database each need their own
    (the benchmarks set one carrying their run's token)."""
    recommendations_max_orders: int = Field(default=500_000, ge=1, le=10_000_000)
    recommendations_max_users: int = Field(default=500_000, ge=1, le=10_000_000)
    """More orders or users than this fail the refresh (the last good model is kept)."""

    @field_validator("admin_emails", mode="before")
    @classmethod
    def _split_emails(cls, value: object) -> object:
        return env_list(value)  # NoDecode: the environment's text comes to us

    @field_validator("admin_emails", mode="after")
    @classmethod
    def _normalise_emails(cls, value: list[str]) -> list[str]:
        return sorted({email.strip().lower() for email in value})

    @model_validator(mode="after")
    def _usable_jwt_secret(self) -> Self:
        # A placeholder (the development default included) is CoreSettings' to refuse.
        secret = self.jwt_secret.get_secret_value()
        if len(secret.encode("utf-8")) < MIN_JWT_SECRET_BYTES:
            raise ValueError(f"jwt_secret must be at least {MIN_JWT_SECRET_BYTES} bytes (HS256)")
        if secret.lstrip().startswith(_PUBLIC_KEY_MARKERS):
            raise ValueError("jwt_secret looks like a public key: HS256 needs a shared secret")
        return self


@lru_cache
def get_settings() -> AssistantSettings:
    """The assistant's settings, read once."""
    return AssistantSettings()
