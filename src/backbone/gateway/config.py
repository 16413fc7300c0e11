"""The gateway's settings: routes, limits, timeouts, retries, breakers, rate limiting.

Routes come, in this order of precedence, from ``BACKBONE_GATEWAY_ROUTES`` (JSON), from
the YAML file named by ``BACKBONE_GATEWAY_ROUTES_FILE``, or from the defaults:
``/users`` → ``BACKBONE_USERS_URL`` (``http://127.0.0.1:9001``) and ``/orders`` →
``BACKBONE_ORDERS_URL`` (``http://127.0.0.1:9002``). A routes file looks like::

    routes:
      - prefix: /users
        upstreams: [http://10.0.0.5:9001, http://10.0.0.6:9001]
        timeout: 5          # seconds to wait for the upstream's next bytes
      - prefix: /orders
        upstreams: [http://10.0.0.7:9002]
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import SettingsConfigDict

from backbone.core.config import CoreSettings

__all__ = ["GatewaySettings", "RouteConfig", "get_settings"]

# The gateway's own paths: a route may not take them over.
RESERVED_PREFIXES = ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json")


def _upstream_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"upstream {value!r} is not an http(s) URL with a host")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise ValueError(f"upstream {value!r} must be scheme://host[:port] only")
    return f"{parts.scheme}://{parts.netloc}"


def _prefix(value: str) -> str:
    if not value.startswith("/") or value != value.strip() or "//" in value:
        raise ValueError(f"route prefix {value!r} must be an absolute path")
    value = value.rstrip("/") or "/"
    if any(seg in {".", ".."} for seg in value.split("/")) or "%" in value or "\\" in value:
        raise ValueError(f"route prefix {value!r} must be a plain path")
    if value == "/" or value.startswith(RESERVED_PREFIXES):
        raise ValueError(f"route prefix {value!r} would shadow the gateway's own paths")
    return value


UpstreamUrl = Annotated[str, AfterValidator(_upstream_url)]
Prefix = Annotated[str, AfterValidator(_prefix)]


class RouteConfig(BaseModel):
    """One route: requests under ``prefix`` go to one of ``upstreams`` (round-robin)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prefix: Prefix
    upstreams: list[UpstreamUrl] = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    timeout: float = Field(default=10.0, gt=0, le=3600)
    """Seconds to wait for the upstream's answer (and then for each next piece of body)."""
    connect_timeout: float = Field(default=2.0, gt=0, le=60)
    retries: int = Field(default=2, ge=0, le=10)
    """Retries of a failed attempt (connection failure or timeout), idempotent requests only."""
    retry_initial_delay: float = Field(default=0.05, ge=0, le=10)
    breaker_threshold: int = Field(default=5, ge=1, le=10_000)
    breaker_reset: float = Field(default=10.0, gt=0, le=3600)
    max_fails: int = Field(default=3, ge=1, le=10_000)
    """Consecutive failures that eject one upstream instance for ``fail_timeout`` seconds."""
    fail_timeout: float = Field(default=10.0, gt=0, le=3600)

    @property
    def label(self) -> str:
        """The route's name in metrics and logs: ``name`` or the prefix's first segment."""
        return self.name or self.prefix.strip("/").split("/")[0]


def _routes_from_file(path: Path) -> list[RouteConfig]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read the routes file {path}: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("routes"), list):
        raise ValueError(f"{path}: expected a mapping with a 'routes' list")
    try:
        return [RouteConfig.model_validate(item) for item in document["routes"]]
    except ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from exc


class GatewaySettings(CoreSettings):
    """``BACKBONE_GATEWAY_*`` (and the core) settings of the gateway."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        populate_by_name=True,
    )

    users_url: UpstreamUrl = Field(
        default="http://127.0.0.1:9001", validation_alias="BACKBONE_USERS_URL"
    )
    orders_url: UpstreamUrl = Field(
        default="http://127.0.0.1:9002", validation_alias="BACKBONE_ORDERS_URL"
    )
    routes: list[RouteConfig] = Field(
        default_factory=list, validation_alias="BACKBONE_GATEWAY_ROUTES"
    )
    routes_file: Path | None = Field(default=None, validation_alias="BACKBONE_GATEWAY_ROUTES_FILE")

    buffer_body_bytes: int = Field(
        default=65_536, ge=0, validation_alias="BACKBONE_GATEWAY_BUFFER_BODY_BYTES"
    )
    """Bodies up to this size are read whole (and can be retried); larger ones stream."""
    client_body_timeout: float = Field(
        default=30.0, gt=0, validation_alias="BACKBONE_GATEWAY_CLIENT_BODY_TIMEOUT"
    )
    """Seconds a client may pause while sending its body before the gateway gives up (408)."""

    trusted_proxies: list[str] = Field(
        default_factory=list, validation_alias="BACKBONE_GATEWAY_TRUSTED_PROXIES"
    )
    """Networks (CIDR) whose ``X-Forwarded-For`` the gateway extends instead of replacing."""

    retry_budget_ratio: float = Field(
        default=0.2, ge=0, le=10, validation_alias="BACKBONE_GATEWAY_RETRY_BUDGET_RATIO"
    )
    retry_budget_min_per_second: float = Field(
        default=10.0, ge=0, validation_alias="BACKBONE_GATEWAY_RETRY_BUDGET_MIN_PER_SECOND"
    )

    rate_limit_enabled: bool = Field(
        default=False, validation_alias="BACKBONE_GATEWAY_RATE_LIMIT_ENABLED"
    )
    rate_limit_rate: float = Field(
        default=50.0, gt=0, validation_alias="BACKBONE_GATEWAY_RATE_LIMIT_RATE"
    )
    """Requests per second each client may make on average."""
    rate_limit_burst: int = Field(
        default=100, ge=1, validation_alias="BACKBONE_GATEWAY_RATE_LIMIT_BURST"
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return [str(ipaddress.ip_network(item.strip(), strict=False)) for item in value]

    @model_validator(mode="after")
    def _resolve_routes(self) -> Self:
        if not self.routes and self.routes_file is not None:
            self.routes = _routes_from_file(self.routes_file)
        if not self.routes:
            self.routes = [
                RouteConfig(prefix="/users", upstreams=[self.users_url]),
                RouteConfig(prefix="/orders", upstreams=[self.orders_url]),
            ]
        prefixes = [route.prefix for route in self.routes]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError(f"two routes with one prefix: {prefixes}")
        if self.rate_limit_enabled and not self.redis_url:
            raise ValueError("rate limiting needs REDIS_URL (its state is shared in Redis)")
        return self

    def route(self, label: str) -> RouteConfig | None:
        """The route labelled ``label``, if configured."""
        return next((route for route in self.routes if route.label == label), None)


@lru_cache
def get_settings() -> GatewaySettings:
    """The gateway's settings, read once."""
    return GatewaySettings()
