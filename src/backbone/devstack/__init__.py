"""backbone.devstack: the tooling that runs backbone on a developer's machine.

Real Redis and PostgreSQL from pip-installed binaries (:class:`EmbeddedRedis`,
:class:`EmbeddedPostgres`), and local processes: :func:`spawn` starts a :class:`Child`
in a session of its own with its log file, :meth:`Child.wait_ready` waits for a probe,
:meth:`Child.stop` / :func:`stop_children` stop with a signal and then SIGKILL to the
process group; :class:`Supervisor` stops children tier by tier and :class:`SignalGuard`
turns Ctrl-C into :class:`StopRequested`. For ``backbone up``, the tests and the
benchmarks: no service imports it, only the CLI and the tests do (an import-linter
contract says so).

Errors::

    DevstackError
    ├── ChildError             a child exited or was not ready in time (with its log's tail)
    └── EmbeddedServerError    an embedded server could not be set up
        ├── BinaryNotFoundError    the package or its binary is not installed
        └── PortInUseError         the requested port already has a listener
"""

from backbone.devstack._embedded import (
    EmbeddedRedis,
    EmbeddedServer,
    binaries_available,
    postgres_bin_dir,
    redis_server_binary,
)
from backbone.devstack._errors import (
    BinaryNotFoundError,
    ChildError,
    DevstackError,
    EmbeddedServerError,
    PortInUseError,
)
from backbone.devstack._ports import find_free_port, port_is_free
from backbone.devstack._postgres import EmbeddedPostgres
from backbone.devstack._process import (
    Child,
    ProcessLike,
    http_probe,
    log_tail,
    spawn,
    stop_children,
)
from backbone.devstack._supervisor import SignalGuard, StopRequested, Supervisor

__all__ = [
    "BinaryNotFoundError",
    "Child",
    "ChildError",
    "DevstackError",
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "EmbeddedServer",
    "EmbeddedServerError",
    "PortInUseError",
    "ProcessLike",
    "SignalGuard",
    "StopRequested",
    "Supervisor",
    "binaries_available",
    "find_free_port",
    "http_probe",
    "log_tail",
    "port_is_free",
    "postgres_bin_dir",
    "redis_server_binary",
    "spawn",
    "stop_children",
]
