"""The CRM API's dependencies: its settings, its database pool, and the bearer token.

The app keeps one :class:`CrmDatabase` (``app.state.database``): an asyncpg pool made on
first use (building the app connects to nothing) with short timeouts, so a dead
database is a quick answer. An error of *reaching* PostgreSQL — refused, timed out, the
connection lost, the server shutting down — raised while a request holds the pool
becomes a 503 problem+json with ``Retry-After``; any other database error is a bug and
stays a 500.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from asyncpg import exceptions as pg
from fastapi import Depends, FastAPI, Request

from backbone.community.config import CommunitySettings
from backbone.core.bearer import require_bearer
from backbone.core.db import libpq_url
from backbone.core.problems import ProblemError, problem_responses

__all__ = [
    "RETRY_AFTER_SECONDS",
    "UNAUTHORIZED",
    "UNAVAILABLE",
    "CrmDatabase",
    "PoolDep",
    "ReaderDep",
    "SettingsDep",
    "is_unreachable",
    "require_reader",
]

logger = logging.getLogger(__name__)

POOL_SIZE = 10
TIMEOUT_SECONDS = 5.0
"""Connecting, waiting for a pool's connection, and each statement: at most this long."""
RETRY_AFTER_SECONDS = 2

Responses = dict[int | str, dict[str, Any]]
UNAUTHORIZED: Responses = {
    401: {
        **problem_responses([401], description="No bearer token, or not the right one.")[401],
        "headers": {"WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}}},
    }
}
UNAVAILABLE: Responses = {
    503: {
        **problem_responses([503], description="The database cannot be reached.")[503],
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait.",
                "required": True,
                "schema": {"type": "string"},
            }
        },
    }
}


def is_unreachable(exc: BaseException) -> bool:
    """True for errors of reaching PostgreSQL, as asyncpg reports them."""
    if isinstance(exc, pg.DataError | pg.ClientConfigurationError):
        return False  # a bug in what was sent (both are InterfaceErrors), not the database
    return isinstance(
        exc,
        OSError  # refused, unreachable, and (TimeoutError) timed out
        | pg.PostgresConnectionError
        | pg.OperatorInterventionError  # shutting down, starting up, cancelled
        | pg.TooManyConnectionsError
        | pg.InterfaceError,  # the connection or the pool closed under us
    )


class CrmDatabase:
    """The API's asyncpg pool, made on first use and closed with the app."""

    def __init__(
        self, url: str, *, pool_size: int = POOL_SIZE, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self._dsn = libpq_url(url)
        self._pool_size = pool_size
        self._timeout = timeout
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def pool(self) -> asyncpg.Pool:
        """The pool (no connection is opened until a query needs one)."""
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=0,
                        max_size=self._pool_size,
                        timeout=self._timeout,
                        command_timeout=self._timeout,
                    )
        return self._pool

    async def ping(self) -> None:
        """Readiness: raise unless ``SELECT 1`` succeeds."""
        pool = await self.pool()
        await pool.fetchval("SELECT 1", timeout=self._timeout)

    async def aclose(self) -> None:
        """Close the pool's connections."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        """An app's lifespan that closes the pool when the app stops."""
        try:
            yield
        finally:
            await self.aclose()


def unavailable(exc: BaseException) -> ProblemError:
    """The 503 answer to an unreachable database (the error itself is only logged)."""
    logger.warning("community_database_unreachable error=%r", exc)
    return ProblemError(
        503,
        detail="The database cannot be reached. Try again later.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


# Async although they do not await: FastAPI runs a plain ``def`` dependency in a thread.
async def get_community_settings(request: Request) -> CommunitySettings:
    """The settings the app was created with."""
    settings: CommunitySettings = request.app.state.settings
    return settings


async def get_pool(request: Request) -> AsyncIterator[asyncpg.Pool]:
    """The app's pool; an unreachable database during the request is a 503."""
    database: CrmDatabase = request.app.state.database
    try:
        yield await database.pool()
    except ProblemError:
        raise
    except Exception as exc:
        if not is_unreachable(exc):
            raise
        raise unavailable(exc) from exc


SettingsDep = Annotated[CommunitySettings, Depends(get_community_settings)]
PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]


async def require_reader(request: Request, settings: SettingsDep) -> None:
    """401 unless ``Authorization: Bearer`` carries the API token (compared in constant time)."""
    require_bearer(request, settings.api_token, api="the CRM API", realm="community")


ReaderDep = Depends(require_reader)
