"""``/v1/auth/*``, ``/v1/me`` and ``/v1/users``: accounts, tokens, administration."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from backbone.assistant.auth.models import Role
from backbone.assistant.auth.schemas import (
    PasswordGrant,
    RefreshRequest,
    Registration,
    TokenPair,
    UserPage,
    UserPublic,
    normalise_email,
)
from backbone.assistant.auth.store import (
    Refused,
    create_user,
    delete_user,
    issue_refresh_token,
    page_of_users,
    revoke_family,
    rotate_refresh_token,
    set_password_hash,
    user_by_email,
)
from backbone.assistant.bodies import FORM, form_body, json_body, request_body
from backbone.assistant.deps import (
    AdminUser,
    AuthDep,
    CurrentUser,
    SessionDep,
    SettingsDep,
    client_address,
    unauthorized,
)
from backbone.assistant.tasks.artifacts import remove_task_files
from backbone.core.pagination import Limit, Offset
from backbone.core.problems import ProblemError, problem_responses

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter()

Responses = dict[int | str, dict[str, Any]]

RegistrationDep = Annotated[Registration, Depends(json_body(Registration))]
PasswordGrantDep = Annotated[PasswordGrant, Depends(form_body(PasswordGrant))]
RefreshRequestDep = Annotated[RefreshRequest, Depends(json_body(RefreshRequest))]

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_RETRY_AFTER = {"description": "Seconds to wait.", "required": True, "schema": {"type": "string"}}
_CHALLENGE = {
    "description": '`Bearer`, with `error="invalid_token"` when a token was sent.',
    "required": True,
    "schema": {"type": "string"},
}


def _with_header(status: int, name: str, header: dict[str, Any], description: str) -> Responses:
    response = problem_responses([status], description=description)[status]
    return {status: {**response, "headers": {name: header}}}


UNAUTHORIZED = _with_header(401, "WWW-Authenticate", _CHALLENGE, "No valid access token.")
TOO_MANY = _with_header(429, "Retry-After", _RETRY_AFTER, "Over the rate limit.")
UNAVAILABLE = _with_header(503, "Retry-After", _RETRY_AFTER, "A store cannot be reached.")
BODY_ERRORS: Responses = {
    **problem_responses([400], description="The body could not be decoded."),
    **problem_responses([413, 415]),
    **problem_responses([422], description="The request did not validate."),
}
TOKENS_OK = {
    "description": "The tokens.",
    "headers": {"Cache-Control": {"description": "`no-store`.", "required": True}},
}


@router.post(
    "/v1/auth/register",
    tags=["auth"],
    operation_id="register",
    summary="Create an account.",
    status_code=201,
    response_model=UserPublic,
    responses={
        201: {"description": "The account.", "headers": {"Location": {"required": True}}},
        **BODY_ERRORS,
        **problem_responses([409], description="The email is already registered."),
        **TOO_MANY,
        **UNAVAILABLE,
    },
    openapi_extra=request_body(Registration),
)
async def register(
    request: Request,
    body: RegistrationDep,
    auth: AuthDep,
    session: SessionDep,
    response: Response,
) -> UserPublic:
    await auth.limits.register(client=client_address(request))
    role = Role.ADMIN if body.email in auth.settings.admin_emails else Role.USER
    password_hash = await auth.passwords.hash(body.password)
    user = await create_user(
        session, email=body.email, password_hash=password_hash, role=role.value
    )
    if user is None:
        raise ProblemError(409, detail="An account with this email already exists.")
    logger.info("user_registered user_id=%s role=%s", user.id, user.role)
    response.headers["Location"] = "/v1/me"
    return UserPublic.of(user)


@router.post(
    "/v1/auth/token",
    tags=["auth"],
    operation_id="login",
    summary="The OAuth2 password flow — email and password for tokens.",
    response_model=TokenPair,
    responses={200: TOKENS_OK, **BODY_ERRORS, **UNAUTHORIZED, **TOO_MANY, **UNAVAILABLE},
    openapi_extra=request_body(PasswordGrant, FORM),
)
async def login(
    request: Request, form: PasswordGrantDep, auth: AuthDep, session: SessionDep
) -> Response:
    email = normalise_email(form.username)
    # Counted before the password is looked at: past the limit, right or wrong is 429.
    await auth.limits.login(email=email, client=client_address(request))
    # PostgreSQL text cannot hold a NUL, and no stored email does: such a name is unknown.
    user = await user_by_email(session, email) if "\x00" not in email else None
    verified = await auth.passwords.verify(user.password_hash if user else None, form.password)
    if user is None or not verified.ok:
        logger.info("login_refused")
        raise ProblemError(
            401,
            detail="The email or the password is wrong.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if verified.new_hash is not None:
        await set_password_hash(session, user, verified.new_hash)
    refresh = await issue_refresh_token(session, user_id=user.id, lifetime=auth.refresh_lifetime)
    await session.commit()
    logger.info("login user_id=%s", user.id)
    return _tokens(auth.tokens.issue(user.id, user.role), refresh, auth.tokens.expires_in)


def _tokens(access: str, refresh: str, expires_in: int) -> Response:
    pair = TokenPair(access_token=access, expires_in=expires_in, refresh_token=refresh)
    body = pair.model_dump_json().encode("utf-8")
    return Response(body, media_type="application/json", headers=NO_STORE)


@router.post(
    "/v1/auth/refresh",
    tags=["auth"],
    operation_id="refresh",
    summary="Rotate a refresh token — a new pair; the old refresh token is spent.",
    response_model=TokenPair,
    responses={200: TOKENS_OK, **BODY_ERRORS, **UNAUTHORIZED, **UNAVAILABLE},
    openapi_extra=request_body(RefreshRequest),
)
async def refresh(body: RefreshRequestDep, auth: AuthDep, session: SessionDep) -> Response:
    rotation = await rotate_refresh_token(
        session, body.refresh_token, lifetime=auth.refresh_lifetime
    )
    if rotation.user is None or rotation.token is None:
        if rotation.refused is Refused.REUSED:
            logger.warning("refresh_token_reused family_revoked=true")
        raise unauthorized(token_sent=True)
    user = rotation.user
    return _tokens(auth.tokens.issue(user.id, user.role), rotation.token, auth.tokens.expires_in)


@router.post(
    "/v1/auth/logout",
    tags=["auth"],
    operation_id="logout",
    summary="Revoke a refresh token and its family.",
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "Revoked (or nothing to revoke)."},
        **BODY_ERRORS,
        **UNAUTHORIZED,
        **UNAVAILABLE,
    },
    openapi_extra=request_body(RefreshRequest),
)
async def logout(user: CurrentUser, body: RefreshRequestDep, session: SessionDep) -> Response:
    # The token is checked before the body is read: no token, 401 whatever the body.
    await revoke_family(session, body.refresh_token, user_id=user.id)
    return Response(status_code=204)


@router.get(
    "/v1/me",
    tags=["auth"],
    operation_id="getMe",
    summary="The user the token names.",
    response_model=UserPublic,
    responses={200: {"description": "The user."}, **UNAUTHORIZED, **UNAVAILABLE},
)
async def get_me(user: CurrentUser) -> UserPublic:
    return UserPublic.of(user)


@router.delete(
    "/v1/me",
    tags=["auth"],
    operation_id="deleteMe",
    summary="Delete the account, its datasets, tasks and tokens.",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Deleted."}, **UNAUTHORIZED, **UNAVAILABLE},
)
async def delete_me(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    task_ids = await delete_user(session, user.id)
    await asyncio.to_thread(remove_task_files, settings.data_dir, task_ids)
    logger.info("user_deleted user_id=%s tasks=%d", user.id, len(task_ids))
    return Response(status_code=204)


@router.get(
    "/v1/users",
    tags=["users"],
    operation_id="listUsers",
    summary="A page of users, newest first (admins only).",
    response_model=UserPage,
    responses={
        200: {"description": "The page."},
        **UNAUTHORIZED,
        **problem_responses([403], description="Not an admin."),
        **problem_responses([422], description="The request did not validate."),
        **UNAVAILABLE,
    },
)
async def list_users(
    _: AdminUser, session: SessionDep, limit: Limit = 20, offset: Offset = 0
) -> UserPage:
    users, total = await page_of_users(session, limit=limit, offset=offset)
    items = [UserPublic.of(user) for user in users]
    return UserPage.of(items, total=total, limit=limit, offset=offset, path="/v1/users", filters={})
