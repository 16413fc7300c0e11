"""``backbone up``: Redis, PostgreSQL, migrations, then every service; stop all on a signal.

Redis and PostgreSQL come from ``REDIS_URL`` / ``DATABASE_URL`` (environment or ``.env``)
when set; otherwise they are started embedded under ``--data-dir``, always on 127.0.0.1
(the embedded PostgreSQL trusts every local connection). Each service runs as
``python -m backbone.cli serve NAME`` in a session of its own, with its log in
``DATA_DIR/logs/NAME.log``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from backbone.cli._config import ConfigError, load_environment, resolve_ports
from backbone.cli._services import POSTGRES, REDIS, ServiceSpec, port_env, resolve, url_env
from backbone.cli._table import Row, build_table, curl_command, psql_command, redis_command
from backbone.core.config import CoreSettings
from backbone.devstack import (
    Child,
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServerError,
    SignalGuard,
    StopRequested,
    Supervisor,
    log_tail,
    port_is_free,
    postgres_bin_dir,
    redis_server_binary,
)

__all__ = ["StartupError", "UpOptions", "run_up", "wait_until_ready"]

INFRA_HOST = "127.0.0.1"
READY_LINE = "backbone up: ready (Ctrl-C to stop)"
_TIER_REDIS, _TIER_POSTGRES, _TIER_SERVICES = 0, 1, 2


class StartupError(Exception):
    """Something could not be started; the message says what, with its log tail."""


@dataclass(frozen=True, slots=True)
class UpOptions:
    """What ``backbone up`` was asked for."""

    host: str = "127.0.0.1"
    data_dir: Path = Path(".backbone")
    only: tuple[str, ...] = ()
    port_offset: int = 0
    ready_timeout: float = 60.0
    grace: float = 10.0


def client_host(host: str) -> str:
    """Where a client on this machine connects for a server bound to ``host``."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - comparing, not binding
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def wait_until_ready(
    name: str,
    probe: Callable[[], bool],
    *,
    exited: Callable[[], int | None],
    log_file: Path | None,
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    interval: float = 0.1,
) -> None:
    """Poll ``probe`` until it is true; StartupError if the process exits or time runs out."""
    deadline = clock() + timeout
    while True:
        code = exited()
        if code is not None:
            raise StartupError(f"{name} exited with code {code} during start-up" + _tail(log_file))
        if probe():
            return
        if clock() >= deadline:
            raise StartupError(f"{name} was not ready after {timeout:g}s" + _tail(log_file))
        sleep(interval)


def http_probe(url: str) -> Callable[[], bool]:
    """A probe that is true once ``GET url`` answers 200."""

    def probe() -> bool:
        try:
            return httpx.get(url, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    return probe


def _tail(log_file: Path | None) -> str:
    if log_file is None:
        return ""
    return f"; last lines of {log_file}:\n{log_tail(log_file)}"


@dataclass
class _Stack:
    options: UpOptions
    env: Mapping[str, str]
    guard: SignalGuard
    out: Console
    supervisor: Supervisor = field(default_factory=Supervisor)
    urls: dict[str, str] = field(default_factory=dict)
    service_urls: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)

    @property
    def log_dir(self) -> Path:
        return self.options.data_dir / "logs"

    def start(self) -> None:
        infra, specs = resolve(self.options.only or None)
        external = external_urls()
        embed = [name for name in infra if not external[name]]
        ports = resolve_ports([*embed, *(s.name for s in specs)], self.env,
                              offset=self.options.port_offset)  # fmt: skip
        _check_ports_free(ports, self.options.host, embed)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in infra:
            url = external[name]
            if url:
                self.urls[name] = url
                self._infra_row(name, url, "external")
            else:
                self._start_embedded(name, ports[name])
        if POSTGRES in self.urls:
            self._migrate(self.urls[POSTGRES])
        depth: dict[str, int] = {}
        for spec in specs:
            depth[spec.name] = 1 + max((depth.get(n, 0) for n in spec.needs), default=0)
            self._start_service(spec, ports.get(spec.name), _TIER_SERVICES + depth[spec.name])

    def _migrate(self, database_url: str) -> None:
        from backbone.core.db import migrate  # alembic and SQLAlchemy: only when needed

        self.out.print("running database migrations")
        try:
            migrate(database_url)
        except Exception as exc:
            raise StartupError(f"database migrations failed: {exc!r}") from exc

    def _start_embedded(self, name: str, port: int) -> None:
        data_dir = self.options.data_dir / name
        log_file = self.log_dir / f"{name}.log"
        server: EmbeddedRedis | EmbeddedPostgres
        if name == REDIS:
            server = EmbeddedRedis(data_dir=data_dir, host=INFRA_HOST, port=port, log_file=log_file)
        else:
            server = EmbeddedPostgres(
                data_dir=data_dir, host=INFRA_HOST, port=port, log_file=log_file
            )
        self.out.print(f"starting embedded {name} on port {port}")
        # Deferred: a Ctrl-C now waits until the server is up and recorded, then stops it.
        with self.guard.deferred():
            server.start()
            process = server.process
            if process is None:  # start() returned, so it runs: defensive only
                raise StartupError(f"embedded {name} did not start")
            tier = _TIER_REDIS if name == REDIS else _TIER_POSTGRES
            self.supervisor.add(Child(name, process, tier, server.stop_signal, server.log_file))
        self.urls[name] = server.url
        self._infra_row(name, server.url, f"embedded, pid {process.pid}")

    def _infra_row(self, name: str, url: str, note: str) -> None:
        if name == REDIS:
            cli = _bundled(lambda: redis_server_binary().with_name("redis-cli"))
            try_it = redis_command(url, bundled=cli)
        else:
            try_it = psql_command(url, bundled=_bundled(lambda: postgres_bin_dir() / "psql"))
        self.rows.append(Row(name, url, try_it, note))

    def _start_service(self, spec: ServiceSpec, port: int | None, tier: int) -> None:
        log_file = self.log_dir / f"{spec.name}.log"
        argv = [sys.executable, "-m", *(spec.command or ())]
        if spec.is_http:
            argv = [sys.executable, "-m", "backbone.cli", "serve", spec.name,
                    "--host", self.options.host, "--port", str(port)]  # fmt: skip
        self.out.print(f"starting {spec.name}" + (f" on port {port}" if port else ""))
        with self.guard.deferred(), log_file.open("ab") as log:
            log.write(f"--- {spec.name} starting at {time.strftime('%F %T')} ---\n".encode())
            log.flush()
            process = _spawn(argv, log, self._child_env())
            child = self.supervisor.add(Child(spec.name, process, tier, log_file=log_file))
        if not spec.is_http:
            self.rows.append(Row(spec.name, "-", "-", f"pid {process.pid}"))
            return
        base = f"http://{client_host(self.options.host)}:{port}"
        self.service_urls[spec.name] = base
        wait_until_ready(
            spec.name,
            http_probe(base + spec.ready_path),
            exited=process.poll,
            log_file=child.log_file,
            timeout=self.options.ready_timeout,
        )
        self.rows.append(
            Row(
                spec.name,
                base,
                curl_command(base, spec.try_path, spec.try_method),
                f"pid {process.pid}",
            )
        )

    def _child_env(self) -> dict[str, str]:
        env = dict(self.env)
        env["PYTHONUNBUFFERED"] = "1"
        if REDIS in self.urls:
            env["REDIS_URL"] = self.urls[REDIS]
        if POSTGRES in self.urls:
            env["DATABASE_URL"] = self.urls[POSTGRES]
        # Services find each other as BACKBONE_<NAME>_URL (the gateway its upstreams).
        env.update({url_env(name): url for name, url in self.service_urls.items()})
        # The report API and its workers share one reports directory, beside the data.
        env.setdefault("BACKBONE_REPORTS_DIR", str((self.options.data_dir / "reports").absolute()))
        return env


def external_urls() -> dict[str, str | None]:
    """``REDIS_URL`` / ``DATABASE_URL`` from the core settings (environment, then ``.env``)."""
    try:
        settings = CoreSettings()
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {exc}") from None
    database_url = settings.database_url.get_secret_value() if settings.database_url else None
    return {REDIS: settings.redis_url or None, POSTGRES: database_url or None}


def _bundled(locate: Callable[[], Path]) -> Path | None:
    try:
        return locate()
    except EmbeddedServerError:
        return None


def _spawn(argv: list[str], log: IO[bytes], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


def _check_ports_free(ports: Mapping[str, int], host: str, infra: list[str]) -> None:
    busy = [
        f"port {port} ({name}) is already in use; set {port_env(name)} or --port-offset"
        for name, port in ports.items()
        if not port_is_free(INFRA_HOST if name in infra else host, port)
    ]
    if busy:
        raise ConfigError("; ".join(busy))


def run_up(options: UpOptions, *, out: Console, err: Console) -> int:
    """Start the stack, wait for a stop signal or a dying child, stop everything; the exit code."""
    guard = SignalGuard()
    with guard:
        stack = _Stack(options, load_environment(), guard, out, Supervisor(grace=options.grace))
        try:
            return _run(stack, out, err)
        except StopRequested as exc:
            err.print(f"{exc}: stopping")
            return 0
        except (ConfigError, StartupError, EmbeddedServerError) as exc:
            err.print(Text("backbone up failed: ", style="bold red") + Text(str(exc)))
            return 1
        finally:
            guard.shutting_down()
            started = bool(stack.supervisor.children)
            killed = stack.supervisor.shutdown(hurry=lambda: guard.hurry)
            if killed:
                err.print(f"killed after the grace period: {', '.join(killed)}")
            if started:
                err.print("backbone up: stopped")


def _run(stack: _Stack, out: Console, err: Console) -> int:
    stack.start()
    out.print(build_table(stack.rows))
    out.print(f"logs: {stack.log_dir}")
    out.print(READY_LINE)
    child = stack.supervisor.watch()
    code = child.process.poll()
    message = f"{child.name} exited unexpectedly with code {code}"
    err.print(Text(message, style="bold red") + Text(_tail(child.log_file)))
    return 1
