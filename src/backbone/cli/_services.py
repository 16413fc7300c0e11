"""The service registry: every process ``backbone up`` can start, and how.

A service is either an HTTP app (an ASGI factory that ``backbone serve NAME`` runs
under uvicorn, ready when ``/readyz`` answers 200) or a plain command (a worker,
ready once started). Besides services, ``up`` knows two pieces of infrastructure,
Redis and PostgreSQL (:data:`INFRASTRUCTURE`), which services list in ``needs``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "INFRASTRUCTURE",
    "SERVICES",
    "ServiceSpec",
    "UnknownNameError",
    "migration_locations",
    "port_env",
    "resolve",
    "url_env",
]

REDIS = "redis"
POSTGRES = "postgres"
INFRASTRUCTURE: tuple[str, ...] = (REDIS, POSTGRES)

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class UnknownNameError(ValueError):
    """A name that is neither a service nor a piece of infrastructure."""


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """How to run one service.

    Exactly one of ``app`` (``"module:factory"``, an ASGI app factory served over HTTP on
    ``port``) and ``command`` (argv run as ``python -m ...`` after ``sys.executable``; a
    worker with no port) is set. ``needs`` names infrastructure or other services that
    must be up first. ``try_method`` ``try_path`` is what the start-up table suggests to curl.
    """

    name: str
    app: str | None = None
    port: int | None = None
    command: tuple[str, ...] | None = None
    needs: frozenset[str] = field(default_factory=frozenset)
    ready_path: str = "/readyz"
    try_path: str = "/healthz"
    try_method: str = "GET"
    server_options: tuple[tuple[str, object], ...] = ()
    """Extra uvicorn options for ``backbone serve``, as (name, value) pairs."""
    migrations: str | None = None
    """The module whose ``VERSIONS`` directory holds the service's Alembic revisions."""
    start_if_set: tuple[str, ...] = ()
    """For a command: start it only when one of these variables is set (not blank) in the
    environment or ``.env`` (a bot's token); ``up`` says which when it does not."""
    start_if_set_what: str = ""
    """What those variables hold, for ``up``'s note (e.g. ``Discord token``)."""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or self.name in INFRASTRUCTURE:
            raise ValueError(f"invalid service name {self.name!r}")
        if (self.app is None) == (self.command is None):
            raise ValueError(f"{self.name}: set exactly one of app and command")
        if self.app is not None and (self.port is None or ":" not in self.app):
            raise ValueError(f"{self.name}: an app needs 'module:factory' and a port")
        if self.command is not None and self.port is not None:
            raise ValueError(f"{self.name}: a command service has no port")
        if self.start_if_set and self.app is not None:
            raise ValueError(f"{self.name}: only a command can be optional (start_if_set)")

    @property
    def is_http(self) -> bool:
        """True for an HTTP app served by uvicorn."""
        return self.app is not None

    @property
    def port_env(self) -> str:
        """The environment variable that overrides the port, e.g. ``BACKBONE_FLAKY_PORT``."""
        return port_env(self.name)


def port_env(name: str) -> str:
    """``BACKBONE_<NAME>_PORT`` for a service or infrastructure name."""
    return f"BACKBONE_{name.upper().replace('-', '_')}_PORT"


def url_env(name: str) -> str:
    """``BACKBONE_<NAME>_URL``: where ``backbone up`` tells other services a service is."""
    return f"BACKBONE_{name.upper().replace('-', '_')}_URL"


SERVICES: Mapping[str, ServiceSpec] = {
    "users": ServiceSpec(
        name="users",
        app="backbone.mocks.users:create_app",
        port=9001,
        needs=frozenset(),
        try_path="/users/123",
    ),
    "orders": ServiceSpec(
        name="orders",
        app="backbone.mocks.orders:create_app",
        port=9002,
        needs=frozenset(),
        try_path="/orders?user_id=123",
    ),
    "gateway": ServiceSpec(
        name="gateway",
        app="backbone.gateway:create_app",
        port=8000,
        needs=frozenset({"users", "orders"}),
        try_path="/users/123",
        # The gateway passes the upstream's Server and Date on, and reads
        # X-Forwarded-For itself (uvicorn would trust it from any loopback peer).
        server_options=(("proxy_headers", False), ("server_header", False), ("date_header", False)),
    ),
    "reports": ServiceSpec(
        name="reports",
        app="backbone.reports:create_app",
        port=8001,
        needs=frozenset({REDIS, POSTGRES}),
        try_path="/generate-report",
        try_method="POST",
        migrations="backbone.reports.migrations",
    ),
    "reports-worker": ServiceSpec(
        name="reports-worker",
        command=("backbone.cli", "worker"),
        # The API migrates nothing: `up` has run the migrations before any service starts.
        needs=frozenset({REDIS, POSTGRES}),
    ),
    "assistant": ServiceSpec(
        name="assistant",
        app="backbone.assistant:create_app",
        port=8002,
        # The gateway first: the recommendations read orders and users through it.
        needs=frozenset({REDIS, POSTGRES, "gateway"}),
        try_path="/readyz",
        migrations="backbone.assistant.migrations",
    ),
    "assistant-worker": ServiceSpec(
        name="assistant-worker",
        command=("backbone.cli", "worker", "assistant"),
        # The gateway and the report API first: their URLs are in the worker's environment
        # (the orders source; an automation's actions).
        needs=frozenset({REDIS, POSTGRES, "gateway", "reports"}),
    ),
    "review": ServiceSpec(
        name="review",
        app="backbone.review:create_app",
        port=8003,
        needs=frozenset({REDIS, POSTGRES}),
        try_path="/readyz",
        migrations="backbone.review.migrations",
    ),
    "review-worker": ServiceSpec(
        name="review-worker",
        command=("backbone.cli", "worker", "review"),
        # The fake GitHub first: without credentials `up` points the worker at it.
        needs=frozenset({REDIS, POSTGRES, "github"}),
    ),
    "community": ServiceSpec(
        name="community",
        app="backbone.community:create_app",
        port=8004,
        needs=frozenset({POSTGRES}),
        # Every /members route needs the API token: the table suggests what needs none.
        try_path="/readyz",
        migrations="backbone.community.migrations",
    ),
    "community-bot": ServiceSpec(
        name="community-bot",
        command=("backbone.cli", "bot"),
        needs=frozenset({POSTGRES, "community"}),
        start_if_set=("BACKBONE_COMMUNITY_DISCORD_TOKEN", "DISCORD_TOKEN"),
        start_if_set_what="Discord token",
    ),
    "github": ServiceSpec(
        name="github",
        app="backbone.mocks.github:create_app",
        port=9004,
        needs=frozenset(),
        try_path="/_fake/pulls/octo-org/hello-world/1",
    ),
    "flaky": ServiceSpec(
        name="flaky",
        app="backbone.mocks.flaky:create_app",
        port=9003,
        needs=frozenset(),
        try_path="/flaky/demo",
    ),
}


def migration_locations(services: Mapping[str, ServiceSpec] = SERVICES) -> list[Path]:
    """Every service's revision directory: a database is migrated with all of them."""
    modules = sorted({spec.migrations for spec in services.values() if spec.migrations})
    return [Path(importlib.import_module(name).VERSIONS) for name in modules]


def resolve(
    only: Iterable[str] | None, services: Mapping[str, ServiceSpec] = SERVICES
) -> tuple[list[str], list[ServiceSpec]]:
    """The infrastructure and services to start for ``--only`` (None: everything), with needs.

    Both lists come in start order: infrastructure in :data:`INFRASTRUCTURE` order, then
    services with each one after what it needs.
    """
    known = set(INFRASTRUCTURE) | set(services)
    wanted = set(only) if only else set(known)
    unknown = sorted(wanted - known)
    if unknown:
        raise UnknownNameError(
            f"unknown name(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}"
        )
    ordered: list[ServiceSpec] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in INFRASTRUCTURE:
            wanted.add(name)
            return
        if name in path:
            raise ValueError(f"services need each other in a cycle: {' -> '.join((*path, name))}")
        if name not in services:
            raise UnknownNameError(f"{path[-1]} needs unknown {name!r}")
        spec = services[name]
        for need in sorted(spec.needs):
            visit(need, (*path, name))
        if spec not in ordered:
            ordered.append(spec)

    for name in sorted(wanted - set(INFRASTRUCTURE)):
        visit(name, ())
    return [name for name in INFRASTRUCTURE if name in wanted], ordered
