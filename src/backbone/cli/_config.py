"""Where ``backbone up`` gets its settings: options, the environment, and ``.env``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dotenv import dotenv_values

from backbone.cli._services import POSTGRES, REDIS, SERVICES, ServiceSpec, port_env

__all__ = ["EMBEDDED_PORTS", "ConfigError", "load_environment", "mask_url", "resolve_ports"]

# Not 6379 / 5432: those belong to a Redis / PostgreSQL the machine may already run.
EMBEDDED_PORTS: Mapping[str, int] = {REDIS: 6380, POSTGRES: 5433}


class ConfigError(ValueError):
    """A setting that cannot be used (the message says which and why)."""


def load_environment(env_file: Path | None = None) -> dict[str, str]:
    """The process environment over the values of ``.env`` (the environment wins)."""
    path = env_file if env_file is not None else Path.cwd() / ".env"
    values: dict[str, str] = {}
    if path.is_file():
        values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    values.update(os.environ)
    return values


def resolve_ports(
    names: Iterable[str],
    env: Mapping[str, str],
    *,
    offset: int = 0,
    services: Mapping[str, ServiceSpec] = SERVICES,
) -> dict[str, int]:
    """Each name's port: ``BACKBONE_<NAME>_PORT`` if set, else its default plus ``offset``."""
    ports: dict[str, int] = {}
    for name in names:
        variable = port_env(name)
        if raw := env.get(variable, "").strip():
            try:
                port = int(raw)
            except ValueError:
                raise ConfigError(f"{variable}={raw!r} is not a port number") from None
        else:
            default = EMBEDDED_PORTS.get(name) or services[name].port
            if default is None:
                continue  # a worker: no port
            port = default + offset
        if not 0 < port < 65536:
            raise ConfigError(f"port {port} for {name} is out of range (set {variable})")
        ports[name] = port
    clashes = _clashes(ports)
    if clashes:
        raise ConfigError(f"two processes on one port: {clashes}")
    return ports


def _clashes(ports: Mapping[str, int]) -> str:
    seen: dict[int, str] = {}
    found = []
    for name, port in ports.items():
        if port in seen:
            found.append(f"{seen[port]} and {name} on {port}")
        seen.setdefault(port, name)
    return "; ".join(found)


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (safe to print)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{netloc}"))
