"""``/members``, ``/members/{member_id}`` and ``/members.csv``: the CRM, read-only."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import StreamingResponse

from backbone.community.deps import UNAUTHORIZED, UNAVAILABLE, PoolDep, ReaderDep
from backbone.community.models import MemberStatus
from backbone.community.schemas import (
    MAX_EVENTS,
    LeadEvent,
    Member,
    MemberDetail,
    MemberPage,
    csv_lines,
    page_of_members,
)
from backbone.community.store import MemberRow, iter_members, list_members, member_detail
from backbone.core.pagination import Limit, Offset
from backbone.core.problems import ProblemError, problem_responses

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["members"], dependencies=[ReaderDep])

MAX_BIGINT = 2**63 - 1
VALIDATION = problem_responses([422], description="The request did not validate.")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_DISPOSITION = 'attachment; filename="members.csv"'

StatusFilter = Annotated[MemberStatus | None, Query(description="Only members with this status.")]
GuildFilter = Annotated[
    int | None,
    Query(ge=0, le=MAX_BIGINT, description="Only the members of this Discord server (its id)."),
]
MemberId = Annotated[
    int, Path(ge=1, le=MAX_BIGINT, description="The member's CRM id (`id` in a list).")
]


@router.get(
    "/members",
    operation_id="listMembers",
    summary="A page of members, the most recently seen first.",
    response_model=MemberPage,
    responses={**UNAUTHORIZED, **VALIDATION, **UNAVAILABLE},
)
async def list_members_page(
    pool: PoolDep,
    limit: Limit = 20,
    offset: Offset = 0,
    status: StatusFilter = None,
    guild_id: GuildFilter = None,
) -> MemberPage:
    rows, total = await list_members(
        pool, guild_id=guild_id, status=status, limit=limit, offset=offset
    )
    filters = {"status": status.value if status else None, "guild_id": guild_id}
    return page_of_members(rows, total=total, limit=limit, offset=offset, filters=filters)


def _csv_responses() -> dict[int | str, dict[str, object]]:
    disposition = {
        "description": '`attachment; filename="members.csv"`.',
        "required": True,
        "schema": {"type": "string"},
    }
    return {
        200: {
            "description": "The members, a header row first.",
            "headers": {"Content-Disposition": disposition},
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **UNAUTHORIZED,
        **VALIDATION,
        **UNAVAILABLE,
    }


async def _csv_body(
    first: list[MemberRow] | None, rest: AsyncIterator[list[MemberRow]]
) -> AsyncIterator[str]:
    yield csv_lines(first or (), header=True)
    if first is None:
        return
    try:
        async for batch in rest:
            yield csv_lines(batch)
    except Exception as exc:
        # Headers are sent: the download is cut short (no final chunk), never passed off
        # as complete.
        logger.warning("community_export_interrupted error=%r", exc)
        raise


@router.get(
    "/members.csv",
    operation_id="exportMembers",
    summary="Every matching member as CSV, for a spreadsheet.",
    response_class=StreamingResponse,
    responses=_csv_responses(),
)
async def export_members(
    pool: PoolDep, status: StatusFilter = None, guild_id: GuildFilter = None
) -> StreamingResponse:
    batches = iter_members(pool, guild_id=guild_id, status=status)
    # The first batch before any byte is sent: an unreachable database is still a 503.
    first = await anext(batches, None)
    return StreamingResponse(
        _csv_body(first, batches),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": CSV_DISPOSITION},
    )


@router.get(
    "/members/{member_id}",
    operation_id="getMember",
    summary="One member and the messages that made them a lead, newest first.",
    response_model=MemberDetail,
    responses={
        **UNAUTHORIZED,
        **problem_responses([404], description="No member has this id."),
        **VALIDATION,
        **UNAVAILABLE,
    },
)
async def get_member_detail(member_id: MemberId, pool: PoolDep) -> MemberDetail:
    found = await member_detail(pool, member_id, events=MAX_EVENTS)
    if found is None:
        raise ProblemError(404, detail=f"No member has id {member_id}.")
    member, events, total = found
    return MemberDetail(
        member=Member.of(member),
        lead_events=[LeadEvent.of(event) for event in events],
        lead_events_total=total,
    )
