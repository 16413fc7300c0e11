"""backbone.devstack: the tooling that runs backbone on a developer's machine.

Real Redis and PostgreSQL from pip-installed binaries (:class:`EmbeddedRedis`,
:class:`EmbeddedPostgres`) and the supervision of local processes (:class:`Supervisor`,
:class:`SignalGuard`), for ``backbone up``, the tests and the benchmarks. No service
imports it: only the CLI and the tests do (an import-linter contract says so).
"""

from backbone.devstack._embedded import (
    BinaryNotFoundError,
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServerError,
    PortInUseError,
    binaries_available,
    find_free_port,
    log_tail,
    port_is_free,
    postgres_bin_dir,
    redis_server_binary,
)
from backbone.devstack._supervisor import (
    Child,
    ProcessLike,
    SignalGuard,
    StopRequested,
    Supervisor,
)

__all__ = [
    "BinaryNotFoundError",
    "Child",
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "EmbeddedServerError",
    "PortInUseError",
    "ProcessLike",
    "SignalGuard",
    "StopRequested",
    "Supervisor",
    "binaries_available",
    "find_free_port",
    "log_tail",
    "port_is_free",
    "postgres_bin_dir",
    "redis_server_binary",
]
