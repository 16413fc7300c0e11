"""``/users`` and ``/users/{user_id}``: list, create, read, replace, patch, delete."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from backbone.mocks._common import (
    JSON_BODY,
    MERGE_PATCH_BODY,
    IfMatch,
    IfNoneMatch,
    Limit,
    Offset,
    Page,
    RecordStore,
    create_responses,
    delete_responses,
    list_responses,
    page_of,
    present_members,
    read_responses,
    tagged,
    tagged_unless_fresh,
    utcnow,
    with_changes,
    write_responses,
)
from backbone.mocks.users.deps import StoreDep
from backbone.mocks.users.routes.fixtures import FIXTURE_SEGMENTS
from backbone.mocks.users.schemas import User, UserCreate, UserPage, UserPatch

logger = logging.getLogger(__name__)


class UserRoute(APIRoute):
    """Leaves the fixtures' literal paths to them: ``PUT /users/stats`` is a 405, not a 422."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if child_scope.get("path_params", {}).get("user_id") in FIXTURE_SEGMENTS:
            return Match.NONE, {}
        return match, child_scope


router = APIRouter(tags=["users"], route_class=UserRoute)

UserId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The user's id.")]
NameFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        description="Only users whose name contains this text (case-insensitive).",
    ),
]


async def _change(
    user_id: int,
    changes: dict[str, Any],
    *,
    store: RecordStore[User],
    response: Response,
    if_match: str | None,
) -> User:
    """Apply ``changes`` (PUT's every field, PATCH's members) if ``If-Match`` allows."""
    updated = await store.update(
        user_id, lambda user: with_changes(user, changes), if_match=if_match
    )
    logger.info("user_changed user_id=%d members=%s", user_id, ",".join(sorted(changes)))
    return tagged(response, updated)


@router.get(
    "/users",
    operation_id="listUsers",
    summary="A page of users, optionally filtered by name.",
    response_model=UserPage,
    responses=list_responses(),
)
async def list_users(
    store: StoreDep, limit: Limit = 20, offset: Offset = 0, name: NameFilter = None
) -> Page[User]:
    needle = name.casefold() if name is not None else ""
    users = await store.select(lambda user: needle in user.name.casefold())
    return page_of(users, limit=limit, offset=offset, path="/users", filters={"name": name})


@router.post(
    "/users",
    operation_id="createUser",
    summary="Create a user.",
    status_code=201,
    response_model=User,
    dependencies=[Depends(JSON_BODY)],
    responses=create_responses("user"),
)
async def create_user(body: UserCreate, store: StoreDep, response: Response) -> User:
    now = utcnow()
    created = await store.create(
        lambda user_id: User(
            user_id=user_id, name=body.name, email=body.email, created_at=now, updated_at=now
        )
    )
    response.headers["Location"] = f"/users/{created.record.user_id}"
    logger.info("user_created user_id=%d", created.record.user_id)
    return tagged(response, created)


@router.get(
    "/users/{user_id}",
    operation_id="getUser",
    summary="One user.",
    response_model=User,
    responses=read_responses("user"),
)
async def get_user(
    user_id: UserId, store: StoreDep, response: Response, if_none_match: IfNoneMatch = None
) -> User | Response:
    return tagged_unless_fresh(response, await store.get(user_id), if_none_match)


@router.put(
    "/users/{user_id}",
    operation_id="replaceUser",
    summary="Replace a user's fields (an email left out becomes null).",
    response_model=User,
    dependencies=[Depends(JSON_BODY)],
    responses=write_responses("user"),
)
async def replace_user(
    user_id: UserId,
    body: UserCreate,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> User:
    changes = {"name": body.name, "email": body.email}
    return await _change(user_id, changes, store=store, response=response, if_match=if_match)


@router.patch(
    "/users/{user_id}",
    operation_id="updateUser",
    summary="Change some of a user's fields (JSON merge patch, RFC 7396).",
    response_model=User,
    dependencies=[Depends(MERGE_PATCH_BODY)],
    responses=write_responses("user"),
)
async def update_user(
    user_id: UserId,
    body: UserPatch,
    store: StoreDep,
    response: Response,
    if_match: IfMatch = None,
) -> User:
    changes = present_members(body)
    return await _change(user_id, changes, store=store, response=response, if_match=if_match)


@router.delete(
    "/users/{user_id}",
    operation_id="deleteUser",
    summary="Delete a user (the Order Service is not told).",
    status_code=204,
    response_class=Response,
    responses=delete_responses("user"),
)
async def delete_user(user_id: UserId, store: StoreDep, if_match: IfMatch = None) -> Response:
    await store.delete(user_id, if_match=if_match)
    logger.info("user_deleted user_id=%d", user_id)
    return Response(status_code=204)
