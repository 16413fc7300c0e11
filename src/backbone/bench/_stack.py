"""The processes ``backbone bench gateway`` measures: the User Service, the gateway, nginx.

Each runs as a child in a session of its own, so a Ctrl-C typed in the terminal reaches
only the benchmark, which then stops them all (:func:`children` does it on the way
out, whatever the way out; ``backbone bench reports`` starts its children with it too).
On Linux each child also asks the kernel for SIGTERM should the benchmark die without
a way out (SIGKILL), so none outlives it. They listen on free loopback ports and log
into a temporary directory that is removed afterwards; a child that dies or never
becomes ready is reported with the tail of its log.

The children get a clean environment: every ``BACKBONE_*`` and ``LOG_*`` variable of
ours is dropped (routes from ``BACKBONE_GATEWAY_ROUTES`` or a rate limit would change
what is measured) and they run in the temporary directory, away from any ``.env``.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from backbone.devstack import (
    Child,
    ChildError,
    SignalGuard,
    find_free_port,
    http_probe,
    spawn,
    stop_children,
)

__all__ = [
    "Stack",
    "StackError",
    "Starter",
    "Target",
    "bench_directory",
    "children",
    "cpu_seconds",
    "nginx_config",
    "running_stack",
]

DIRECT = "direct"
GATEWAY = "gateway"
NGINX = "nginx"
READY_TIMEOUT = 30.0
STOP_GRACE = 5.0


class StackError(RuntimeError):
    """The benchmark's stack is not in the state the measurement needs."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where to send the load, and which process (if any) proxies it."""

    name: str
    url: str
    proxy_pid: int | None


@dataclass(frozen=True, slots=True)
class Stack:
    """The running User Service and the targets in front of it, direct first."""

    service_pid: int
    targets: list[Target]


def nginx_config(*, prefix: Path, listen: int, upstream: int, keepalive: int, user: str) -> str:
    """An nginx.conf: one worker, in the foreground, proxying to 127.0.0.1:``upstream``.

    ``user`` is a ``user`` directive (``""`` when not running as root: nginx would
    ignore it with a warning). Every file nginx writes goes under ``prefix``.
    """
    return f"""\
daemon off;
worker_processes 1;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections {max(1024, 2 * keepalive + 64)}; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream users {{ server 127.0.0.1:{upstream}; keepalive {keepalive}; }}
    server {{
        listen 127.0.0.1:{listen};
        location / {{
            proxy_pass http://users;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def user_directive(euid: int | None = None, egid: int | None = None) -> str:
    """``user NAME GROUP;`` for root (nginx would otherwise switch to ``nobody``), else ''."""
    euid = os.geteuid() if euid is None else euid
    egid = os.getegid() if egid is None else egid
    if euid != 0:
        return ""
    return f"user {pwd.getpwuid(euid).pw_name} {grp.getgrgid(egid).gr_name};"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants (running or reaped)."""
    root = psutil.Process(pid)
    times = root.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in root.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
    return total


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKBONE_", "LOG_"))}
    env.update(LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", **extra)
    return env


class Starter:
    """Starts children on free ports, recording each before a signal can interrupt."""

    def __init__(self, tmp: Path, guard: SignalGuard) -> None:
        self.tmp = tmp
        self.guard = guard
        self.started: list[Child] = []

    def spawn(self, name: str, argv: list[str], **env: str) -> Child:
        """Start ``argv`` (log ``tmp/NAME.log``) without waiting for anything."""
        with self.guard.deferred():
            log_file = self.tmp / f"{name}.log"
            child = spawn(
                name,
                argv,
                log_file=log_file,
                env=_child_env(**env),
                cwd=self.tmp,
                die_with_parent=True,
            )
            self.started.append(child)
        return child

    def start(self, name: str, argv: list[str], ready_url: str, **env: str) -> Child:
        """Start ``argv`` and wait until ``GET ready_url`` answers 200."""
        child = self.spawn(name, argv, **env)
        child.wait_ready(http_probe(ready_url, timeout=1.0), timeout=READY_TIMEOUT)
        return child

    def serve(self, name: str, port: int, **env: str) -> Child:
        argv = [sys.executable, "-m", "backbone.cli", "serve", name, "--port", str(port)]
        return self.start(name, argv, f"http://127.0.0.1:{port}/readyz", **env)

    def nginx(self, nginx: str, *, upstream: int, keepalive: int) -> tuple[Child, int]:
        port = find_free_port()
        conf = self.tmp / "nginx.conf"
        conf.write_text(
            nginx_config(
                prefix=self.tmp,
                listen=port,
                upstream=upstream,
                keepalive=keepalive,
                user=user_directive(),
            )
        )
        argv = [nginx, "-p", str(self.tmp), "-c", str(conf)]
        return self.start("nginx", argv, f"http://127.0.0.1:{port}/readyz"), port


@contextlib.contextmanager
def bench_directory() -> Iterator[Path]:
    """A temporary directory for the children's logs and files, removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="backbone-bench-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def children(tmp: Path, guard: SignalGuard) -> Iterator[Starter]:
    """A :class:`Starter` logging into ``tmp``; every child it started is stopped after."""
    starter = Starter(tmp, guard)
    try:
        yield starter
    finally:
        guard.shutting_down()
        stop_children(starter.started, grace=STOP_GRACE)


@contextlib.contextmanager
def running_stack(
    *, nginx: str | None, keepalive: int, guard: SignalGuard, warn: Callable[[str], None]
) -> Iterator[Stack]:
    """Start the User Service, the gateway and (when ``nginx`` is a path) nginx; stop all after.

    nginx failing to start is a warning (``warn``), the benchmark goes on without it.
    """
    with bench_directory() as tmp, children(tmp, guard) as starter:
        users_port, gateway_port = find_free_port(), find_free_port()
        service = starter.serve("users", users_port)
        users_url = f"http://127.0.0.1:{users_port}"
        # The benchmark never calls /orders: that route points at a port nobody listens on.
        orders_url = f"http://127.0.0.1:{find_free_port()}"
        gateway = starter.serve(
            "gateway", gateway_port, BACKBONE_USERS_URL=users_url, BACKBONE_ORDERS_URL=orders_url
        )
        targets = [
            Target(DIRECT, users_url, None),
            Target(GATEWAY, f"http://127.0.0.1:{gateway_port}", gateway.pid),
        ]
        if nginx is not None:
            try:
                proxy, port = starter.nginx(nginx, upstream=users_port, keepalive=keepalive)
                targets.append(Target(NGINX, f"http://127.0.0.1:{port}", proxy.pid))
            except ChildError as exc:
                warn(f"nginx did not start, going on without it: {exc}")
        yield Stack(service_pid=service.pid, targets=targets)
