"""What GitHub's routes share: JSON answers, paging with ``Link`` headers, body parsing."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from backbone.mocks.github.errors import GitHubError, GitHubJSONResponse

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


def github_json(
    content: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return GitHubJSONResponse(content, status_code=status, headers=dict(headers or {}))


def _positive(value: str | None, default: int) -> int:
    """GitHub ignores a paging parameter that is not a positive number."""
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number >= 1 else default


def paging(request: Request) -> tuple[int, int]:
    """``(per_page, page)``: 30 by default, at most 100; page 1 by default."""
    params = request.query_params
    per_page = min(_positive(params.get("per_page"), DEFAULT_PER_PAGE), MAX_PER_PAGE)
    return per_page, _positive(params.get("page"), 1)


def link_header(request: Request, *, page: int, last: int) -> str | None:
    """GitHub's ``Link``: ``prev``, ``next``, ``last``, ``first`` as they apply."""
    if last <= 1:
        return None
    rels: list[tuple[str, int]] = []
    if page > 1:
        rels.append(("prev", min(page - 1, last)))
    if page < last:
        rels += [("next", page + 1), ("last", last)]
    if page > 1:
        rels.append(("first", 1))
    return ", ".join(
        f'<{request.url.include_query_params(page=number)}>; rel="{rel}"' for rel, number in rels
    )


def paginated(request: Request, items: Sequence[T]) -> tuple[Sequence[T], dict[str, str]]:
    """The page of ``items`` the request asks for, and its ``Link`` header (if any)."""
    per_page, page = paging(request)
    last = max(1, -(-len(items) // per_page))
    link = link_header(request, page=page, last=last)
    start = (page - 1) * per_page
    return items[start : start + per_page], ({"Link": link} if link else {})


def _problem(error: Mapping[str, Any]) -> str:
    where = "/".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f'"{where}" wasn\'t supplied.'
    return f"For 'properties/{where}', {error['msg'].lower()}."


async def parse_body(request: Request, model: type[M]) -> M:
    """The JSON body as ``model``; GitHub's 400 or 422 when it is not."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise GitHubError(400, "Problems parsing JSON") from None
    if not isinstance(data, dict):
        raise GitHubError(400, "Problems parsing JSON")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = " ".join(_problem(error) for error in exc.errors()[:5])
        raise GitHubError(422, f"Invalid request.\n\n{problems}") from None
