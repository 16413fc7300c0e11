"""The assistant's database sessions (SQLModel on asyncpg), with an unreachable database as 503.

The app keeps one engine (``app.state.engine``, made by :func:`database_engine`; nothing
connects until the first request) and hands each request a session through
:data:`SessionDep`. An error of *reaching* PostgreSQL — refused, timed out, the
connection lost, the server shutting down — raised anywhere while a request holds its
session becomes :class:`~backbone.jobs.DatabaseUnavailable`, which the app answers with
503 and ``Retry-After`` (the jobs layer's handler); any other database error is a bug
and stays a 500.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from asyncpg import exceptions as pg
from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from backbone.assistant.config import AssistantSettings
from backbone.core.db import create_engine
from backbone.jobs import DatabaseUnavailable

__all__ = ["SessionDep", "database_engine", "get_session", "is_unreachable"]

_UNREACHABLE = (
    OSError  # refused, unreachable, and (TimeoutError) timed out
    | pg.PostgresConnectionError
    | pg.OperatorInterventionError  # shutting down, starting up, cancelled
    | pg.TooManyConnectionsError
    | pg.InterfaceError  # the connection or the pool closed under us
    | PoolTimeout  # every connection busy for ``database_timeout`` seconds
)


def database_engine(settings: AssistantSettings) -> AsyncEngine:
    """The API's engine: a short connect timeout (a dead database is a quick 503)."""
    if settings.database_url is None:
        raise ValueError("the assistant needs DATABASE_URL")
    timeout = settings.database_timeout
    return create_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.database_pool_size,
        pool_timeout=timeout,
        connect_args={"timeout": timeout, "command_timeout": timeout},
    )


def is_unreachable(exc: BaseException) -> bool:
    """True for errors of reaching PostgreSQL, however SQLAlchemy wrapped them.

    SQLAlchemy's ``DBAPIError`` holds the driver's error in ``orig``, whose cause is
    asyncpg's own; a failed connect is asyncpg's (or the socket's) error, unwrapped.
    """
    current: BaseException | None = exc
    for _ in range(4):  # the wrappers are at most three deep
        if current is None:
            return False
        if isinstance(current, DBAPIError):
            if current.connection_invalidated:
                return True
            current = current.orig
            continue
        if isinstance(current, pg.DataError | pg.ClientConfigurationError):
            return False  # a bug in what was sent, not the database going away
        if isinstance(current, _UNREACHABLE):
            return True
        current = current.__cause__
    return False


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; an unreachable database is :class:`DatabaseUnavailable`."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    try:
        async with factory() as session:
            yield session
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        if not is_unreachable(exc):
            raise
        raise DatabaseUnavailable(f"the database is unreachable: {exc!r}") from exc


SessionDep = Annotated[AsyncSession, Depends(get_session)]
"""The request's database session."""
