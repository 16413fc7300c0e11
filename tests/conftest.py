"""Fixtures shared by the whole suite: real Redis and PostgreSQL, clean for each test."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import _services

# CrewAI (later issues) must never wait on the unreachable network during tests.
for _name, _value in {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_TESTING": "true",
}.items():
    os.environ.setdefault(_name, _value)


def _unavailable(what: str, exc: BaseException) -> None:
    message = f"{what} is not available: {exc!r}"
    if _services.services_required():
        pytest.fail(f"{message} (BACKBONE_REQUIRE_SERVICES is set)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of the session's Redis server (env, testcontainers or embedded)."""
    root = Path(tmp_path_factory.mktemp("redis-server"))
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(_services.redis_server(root))
        except Exception as exc:
            _unavailable("Redis", exc)
        yield url


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of the session's PostgreSQL server (env, testcontainers or embedded)."""
    root = Path(tmp_path_factory.mktemp("postgres-server"))
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(_services.postgres_server(root))
        except Exception as exc:
            _unavailable("PostgreSQL", exc)
        yield url


@pytest.fixture(scope="session")
def _redis_databases(redis_server_url: str) -> _services.RedisDatabases:
    return _services.RedisDatabases(redis_server_url)


@pytest.fixture
def redis_url(_redis_databases: _services.RedisDatabases) -> Iterator[str]:
    """A Redis URL whose database number is this test's alone (flushed before and after)."""
    with _redis_databases.acquire() as url:
        yield url


@pytest.fixture
def database_url(postgres_server_url: str) -> Iterator[str]:
    """A ``postgresql://`` URL to a fresh, empty database of this test's own."""
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(_services.fresh_database(postgres_server_url))
        except OSError as exc:
            _unavailable("PostgreSQL", exc)
        yield url
