"""The proxy fixtures: a chunked NDJSON stream, a gzip body, a delay, two cookies.

Each exists to show what a reverse proxy must carry unchanged: chunked transfer coding,
an encoded body with its exact ``Content-Length``, a call the client abandons, and a
header field sent twice.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import re
import secrets
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from backbone.mocks._common import VALIDATION, sleep_unless_disconnected
from backbone.mocks.users.deps import SettingsDep, StoreDep
from backbone.mocks.users.schemas import SessionResult, SlowResult, UserStats
from backbone.mocks.users.store import user_stats

logger = logging.getLogger(__name__)

router = APIRouter(tags=["fixtures"])

FIXTURE_SEGMENTS = frozenset({"export.ndjson", "stats", "slow", "session"})
"""The last segments of the fixtures' paths: never a user id."""

NDJSON = "application/x-ndjson"
CHUNK_RECORDS = 1000
MAX_VISITS = 1_000_000
_VISITS = re.compile(r"[0-9]{1,7}")

Count = Annotated[int, Query(ge=1, le=100_000, description="How many records to stream.")]
Pause = Annotated[float, Query(ge=0, le=0.1, description="Seconds to wait between chunks.")]
Delay = Annotated[float, Query(ge=0, le=60, description="Seconds to wait before answering.")]


def export_line(n: int) -> str:
    """Record ``n`` of the export, as one NDJSON line."""
    return f'{{"seq":{n},"user_id":{n},"name":"User {n}","email":"user{n}@example.com"}}\n'


async def export_chunks(count: int, pause: float) -> AsyncIterator[bytes]:
    """Records 1..count, at most :data:`CHUNK_RECORDS` per chunk, ``pause`` between chunks."""
    for first in range(1, count + 1, CHUNK_RECORDS):
        if first > 1 and pause > 0:
            await asyncio.sleep(pause)
        last = min(first + CHUNK_RECORDS, count + 1)
        yield "".join(map(export_line, range(first, last))).encode()


@router.get(
    "/users/export.ndjson",
    operation_id="exportUsers",
    summary="A large NDJSON stream, sent in chunks as it is produced.",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The stream (`Transfer-Encoding: chunked`).",
            "content": {NDJSON: {"schema": {"type": "string"}}},
        },
        **VALIDATION,
    },
)
async def export_users(
    settings: SettingsDep, count: Count = 10_000, pause: Pause = 0
) -> StreamingResponse:
    pause = min(pause, settings.max_export_pause_seconds)
    logger.info("users_export count=%d pause=%g", count, pause)
    return StreamingResponse(export_chunks(count, pause), media_type=NDJSON)


@router.get(
    "/users/stats",
    operation_id="userStats",
    summary="Counts over the user store, always gzip-encoded.",
    response_class=Response,
    responses={
        200: {
            "description": "The statistics (gzip-encoded JSON).",
            "model": UserStats,
            "headers": {
                "Content-Encoding": {
                    "description": "Always `gzip`.",
                    "required": True,
                    "schema": {"type": "string", "enum": ["gzip"]},
                }
            },
        }
    },
)
async def stats(store: StoreDep) -> Response:
    # mtime=0 makes the bytes depend on the store alone: a proxied copy compares equal.
    body = gzip.compress(user_stats(await store.select()).model_dump_json().encode(), mtime=0)
    return Response(body, media_type="application/json", headers={"Content-Encoding": "gzip"})


@router.get(
    "/users/slow",
    operation_id="slowUsers",
    summary="Answers after a configurable delay (cut short if the client leaves).",
    response_model=SlowResult,
    responses={200: {"description": "The wait is over."}, **VALIDATION},
)
async def slow(request: Request, settings: SettingsDep, delay: Delay = 1) -> SlowResult:
    seconds = min(delay, settings.max_delay_seconds)
    if await sleep_unless_disconnected(request, seconds):
        logger.info("users_slow_abandoned delay=%g", seconds)
    return SlowResult(delay=seconds)


def _visits(cookie: str | None) -> int:
    """The request's ``visits`` cookie when it is an integer 0..1,000,000, else 0."""
    if cookie is None or not _VISITS.fullmatch(cookie) or int(cookie) > MAX_VISITS:
        return 0
    return int(cookie)


@router.get(
    "/users/session",
    operation_id="userSession",
    summary="Sets two cookies and reports the cookies the request carried.",
    response_model=SessionResult,
    responses={
        200: {
            "description": "Cookies set.",
            "headers": {
                "Set-Cookie": {
                    "description": "Sent twice, `session=...` and `visits=...`.",
                    "required": True,
                    "schema": {"type": "string"},
                },
                "Cache-Control": {
                    "description": "Always `no-store`.",
                    "required": True,
                    "schema": {"type": "string", "enum": ["no-store"]},
                },
            },
        }
    },
)
async def session(request: Request, response: Response) -> SessionResult:
    value = secrets.token_hex(16)
    visits = _visits(request.cookies.get("visits")) + 1
    response.headers.append("Set-Cookie", f"session={value}; Path=/; HttpOnly; SameSite=Lax")
    response.headers.append("Set-Cookie", f"visits={visits}; Path=/; Max-Age=3600")
    response.headers["Cache-Control"] = "no-store"
    return SessionResult(session=value, visits=visits, received_cookies=dict(request.cookies))
