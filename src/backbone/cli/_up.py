"""``backbone up``: Redis, PostgreSQL, migrations, then every service; stop all on a signal.

Redis and PostgreSQL come from ``REDIS_URL`` / ``DATABASE_URL`` (environment or ``.env``)
when set; otherwise they are started embedded under ``--data-dir``, always on 127.0.0.1
(the embedded PostgreSQL trusts every local connection). Each service runs as
``python -m backbone.cli serve NAME`` in a session of its own, with its log in
``DATA_DIR/logs/NAME.log``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from backbone.cli._config import ConfigError, load_environment, resolve_ports
from backbone.cli._services import (
    POSTGRES,
    REDIS,
    ServiceSpec,
    migration_locations,
    port_env,
    resolve,
    url_env,
)
from backbone.cli._table import Row, build_table, curl_command, psql_command, redis_command
from backbone.core.config import CoreSettings
from backbone.devstack import (
    BinaryNotFoundError,
    DevstackError,
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServer,
    SignalGuard,
    StopRequested,
    Supervisor,
    http_probe,
    port_is_free,
    postgres_bin_dir,
    redis_server_binary,
    spawn,
)

__all__ = ["StartupError", "UpOptions", "optional_start", "run_up"]

INFRA_HOST = "127.0.0.1"
READY_LINE = "backbone up: ready (Ctrl-C to stop)"
_TIER_REDIS, _TIER_POSTGRES, _TIER_SERVICES = 0, 1, 2


class StartupError(Exception):
    """Something other than a child could not be started (the migrations)."""


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
            start, note = optional_start(spec, self.env)
            if note:
                self.out.print(note)
            if not start:
                self.rows.append(Row(spec.name, "-", "-", "not started"))
                continue
            depth[spec.name] = 1 + max((depth.get(n, 0) for n in spec.needs), default=0)
            self._start_service(spec, ports.get(spec.name), _TIER_SERVICES + depth[spec.name])

    def _migrate(self, database_url: str) -> None:
        from backbone.core.db import migrate  # alembic and SQLAlchemy: only when needed

        self.out.print("running database migrations")
        try:
            migrate(database_url, locations=migration_locations())
        except Exception as exc:
            raise StartupError(f"database migrations failed: {exc!r}") from exc

    def _start_embedded(self, name: str, port: int) -> None:
        server: EmbeddedServer
        server = (EmbeddedRedis if name == REDIS else EmbeddedPostgres)(
            data_dir=self.options.data_dir / name,
            host=INFRA_HOST,
            port=port,
            log_file=self.log_dir / f"{name}.log",
        )
        self.out.print(f"starting embedded {name} on port {port}")
        # Deferred: a Ctrl-C now waits until the server is up and recorded, then stops it.
        with self.guard.deferred():
            server.start()
            child = server.child
            if child is None:  # start() returned, so it runs: defensive only
                raise StartupError(f"embedded {name} did not start")
            self.supervisor.add(child, tier=_TIER_REDIS if name == REDIS else _TIER_POSTGRES)
        self.urls[name] = server.url
        self._infra_row(name, server.url, f"embedded, pid {child.pid}")

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
        if spec.name == "review-worker":
            fake = fake_github_env(self.env, self.service_urls.get("github"))
            if fake:
                where = fake["BACKBONE_REVIEW_GITHUB_API_URL"]
                self.out.print(f"  no GitHub credentials: reviews go to the fake GitHub at {where}")
        with self.guard.deferred():
            child = spawn(spec.name, argv, log_file=log_file, env=self._child_env())
            self.supervisor.add(child, tier=tier)
        if not spec.is_http:
            self.rows.append(Row(spec.name, "-", "-", f"pid {child.pid}"))
            return
        base = f"http://{client_host(self.options.host)}:{port}"
        self.service_urls[spec.name] = base
        child.wait_ready(http_probe(base + spec.ready_path), timeout=self.options.ready_timeout)
        try_it = curl_command(base, spec.try_path, spec.try_method)
        self.rows.append(Row(spec.name, base, try_it, f"pid {child.pid}"))

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
        assistant_dir = (self.options.data_dir / "assistant").absolute()
        env.setdefault("BACKBONE_ASSISTANT_DATA_DIR", str(assistant_dir))
        env.setdefault(
            "BACKBONE_REVIEW_DATA_DIR", str((self.options.data_dir / "review").absolute())
        )
        env.update(fake_github_env(env, self.service_urls.get("github")))
        return env


def optional_start(spec: ServiceSpec, env: Mapping[str, str]) -> tuple[bool, str | None]:
    """Whether ``up`` starts ``spec`` and what it says about that (None: nothing).

    A service with ``start_if_set`` (the community bot and its Discord token) starts only
    when one of those variables is set, not blank, in ``env`` (the environment over
    ``.env``); either way ``up`` says so, naming the variable.
    """
    if not spec.start_if_set:
        return True, None
    what = spec.start_if_set_what or "setting"
    found = next((name for name in spec.start_if_set if env.get(name, "").strip()), None)
    if found is None:
        return False, f"{spec.name}: not started - no {what} (set {spec.start_if_set[0]})"
    return True, f"{spec.name}: starting with the {what} in {found}"


GITHUB_CREDENTIALS = ("BACKBONE_REVIEW_GITHUB_TOKEN", "BACKBONE_REVIEW_GITHUB_APP_ID")
FAKE_GITHUB_TOKEN = "fake-github-token"  # noqa: S105 - the fake GitHub's own, not a secret
"""The token the fake GitHub accepts by default (``backbone.mocks.github``)."""


def fake_github_env(env: Mapping[str, str], fake_github: str | None) -> dict[str, str]:
    """Where the review service finds GitHub: with no GitHub credentials in ``env`` and the
    fake GitHub running at ``fake_github``, the fake (its URL, its token); else nothing."""
    if not fake_github or any(env.get(name) for name in GITHUB_CREDENTIALS):
        return {}
    return {
        "BACKBONE_REVIEW_GITHUB_API_URL": env.get("BACKBONE_REVIEW_GITHUB_API_URL", fake_github),
        "BACKBONE_REVIEW_GITHUB_TOKEN": FAKE_GITHUB_TOKEN,
    }


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
    except BinaryNotFoundError:
        return None


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
        except (ConfigError, StartupError, DevstackError) as exc:
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
    failure = child.failure(f"exited unexpectedly with code {child.poll()}")
    err.print(Text(str(failure), style="bold red"))
    return 1
