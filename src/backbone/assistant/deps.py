"""Dependency aliases of the assistant's API (tests override them through the app).

The ones other routes use::

    @router.post("/v1/tasks")
    async def create_task(user: CurrentUser, _: TaskSubmissionLimit, session: SessionDep): ...

- :data:`CurrentUser`: the user the bearer token names (a :class:`User`: ``.id``,
  ``.email``, ``.role``, ``.is_admin``), looked up on every request: a deleted user's
  token stops working at once. No token: 401 with ``WWW-Authenticate: Bearer``; a token
  that is not accepted: 401 with ``WWW-Authenticate: Bearer error="invalid_token"``.
- :data:`AdminUser`: the same, and 403 unless the user is an admin.
- :data:`TaskSubmissionLimit`: spends one of the current user's task submissions; 429
  with ``Retry-After`` past the limit (503 if Redis cannot be asked).
- :data:`SessionDep`, :data:`SettingsDep`, :data:`AuthDep`.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backbone.assistant.auth.context import AuthContext
from backbone.assistant.auth.models import User
from backbone.assistant.auth.store import user_by_id
from backbone.assistant.auth.tokens import InvalidTokenError
from backbone.assistant.config import AssistantSettings
from backbone.assistant.db import SessionDep
from backbone.core.problems import ProblemError
from backbone.jobs import JobsApi

__all__ = [
    "AdminUser",
    "AuthDep",
    "CurrentUser",
    "JobsDep",
    "SessionDep",
    "SettingsDep",
    "TaskSubmissionLimit",
    "client_address",
    "unauthorized",
]

logger = logging.getLogger(__name__)

bearer = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An access token from `POST /v1/auth/token`.",
    auto_error=False,
)


def unauthorized(*, token_sent: bool) -> ProblemError:
    """The 401 for a missing token (``Bearer``) or one not accepted (``invalid_token``)."""
    if token_sent:
        detail, challenge = "The access token is not valid.", 'Bearer error="invalid_token"'
    else:
        detail, challenge = "An access token is required.", "Bearer"
    return ProblemError(401, detail=detail, headers={"WWW-Authenticate": challenge})


# Async although they do not await: FastAPI runs a plain ``def`` dependency in a thread.
async def get_assistant_settings(request: Request) -> AssistantSettings:
    """The settings the app was created with."""
    settings: AssistantSettings = request.app.state.settings
    return settings


async def get_auth(request: Request) -> AuthContext:
    """The app's password hashing, tokens and limits."""
    auth: AuthContext = request.app.state.auth
    return auth


SettingsDep = Annotated[AssistantSettings, Depends(get_assistant_settings)]
AuthDep = Annotated[AuthContext, Depends(get_auth)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def client_address(request: Request) -> str:
    """The client's address, as the server saw it (uvicorn resolves trusted proxies)."""
    return request.client.host if request.client else "unknown"


async def current_user(credentials: Credentials, auth: AuthDep, session: SessionDep) -> User:
    """The user the request's bearer token names; 401 otherwise."""
    if credentials is None:
        raise unauthorized(token_sent=False)
    try:
        claims = auth.tokens.decode(credentials.credentials)
    except InvalidTokenError as exc:
        logger.info("access_token_refused reason=%s", exc)
        raise unauthorized(token_sent=True) from None
    user = await user_by_id(session, claims.user_id)
    if user is None:
        logger.info("access_token_refused reason=no_such_user")
        raise unauthorized(token_sent=True)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def admin_user(user: CurrentUser) -> User:
    """The current user, if an admin; 403 otherwise."""
    if not user.is_admin:
        raise ProblemError(403, detail="This needs the admin role.")
    return user


AdminUser = Annotated[User, Depends(admin_user)]


async def limit_task_submission(user: CurrentUser, auth: AuthDep) -> None:
    """Spend one of the current user's task submissions; 429 past the limit."""
    await auth.limits.submit(user.id)


TaskSubmissionLimit = Annotated[None, Depends(limit_task_submission)]


async def get_jobs(request: Request) -> JobsApi:
    """The app's agent tasks: their store and queue."""
    jobs: JobsApi = request.app.state.jobs
    return jobs


JobsDep = Annotated[JobsApi, Depends(get_jobs)]
