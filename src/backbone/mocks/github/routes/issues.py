"""GitHub's issue-comment endpoints, on pull requests (a pull request is an issue)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import Response

from backbone.mocks.github import render
from backbone.mocks.github.deps import Author, StoreDep, TokenAuth, UrlsDep
from backbone.mocks.github.errors import GitHubError
from backbone.mocks.github.routes._http import github_json, paginated, parse_body
from backbone.mocks.github.schemas import MAX_COMMENT_CHARS, CommentBody

logger = logging.getLogger(__name__)

router = APIRouter(tags=["issues"], dependencies=[TokenAuth])

COMMENTS_DOCS = "https://docs.github.com/rest/issues/comments"


async def _comment_body(request: Request) -> str:
    """The comment's text; GitHub's 422 when it is empty or too long."""
    body = (await parse_body(request, CommentBody)).body
    if not body.strip():
        raise GitHubError(422, 'Invalid request.\n\n"body" can\'t be blank.')
    if len(body) > MAX_COMMENT_CHARS:
        error = {
            "resource": "IssueComment",
            "code": "custom",
            "field": "body",
            "message": f"body is too long (maximum is {MAX_COMMENT_CHARS} characters)",
        }
        raise GitHubError(422, "Validation Failed", errors=[error], documentation_url=COMMENTS_DOCS)
    return body


@router.get("/repos/{owner}/{repo}/issues/{number}/comments", summary="List issue comments.")
async def list_comments(
    owner: str, repo: str, number: int, request: Request, store: StoreDep, urls: UrlsDep
) -> Response:
    repository, _ = store.pull(owner, repo, number)
    page, headers = paginated(request, store.conversation(repository.full_name, number))
    body = [render.issue_comment(repository, comment, urls) for comment in page]
    return github_json(body, headers=headers)


@router.post(
    "/repos/{owner}/{repo}/issues/{number}/comments",
    status_code=201,
    summary="Create an issue comment.",
)
async def create_comment(
    owner: str,
    repo: str,
    number: int,
    request: Request,
    store: StoreDep,
    urls: UrlsDep,
    author: Author,
) -> Response:
    store.pull(owner, repo, number)  # a 404 comes before a bad body, as on GitHub
    text = await _comment_body(request)
    repository, pull = store.pull(owner, repo, number)  # again: a reset may have run meanwhile
    comment = store.add_comment(repository, pull, text, author=author)
    logger.info(
        "github_fake_comment_created repo=%s number=%d comment_id=%d",
        repository.full_name,
        number,
        comment.id,
    )
    body = render.issue_comment(repository, comment, urls)
    return github_json(body, status=201, headers={"Location": body["url"]})


@router.get("/repos/{owner}/{repo}/issues/comments/{comment_id}", summary="Get an issue comment.")
async def get_comment(
    owner: str, repo: str, comment_id: int, store: StoreDep, urls: UrlsDep
) -> Response:
    repository = store.repo(owner, repo)
    return github_json(
        render.issue_comment(repository, store.comment(repository, comment_id), urls)
    )


@router.patch(
    "/repos/{owner}/{repo}/issues/comments/{comment_id}", summary="Update an issue comment."
)
async def update_comment(
    owner: str, repo: str, comment_id: int, request: Request, store: StoreDep, urls: UrlsDep
) -> Response:
    store.comment(store.repo(owner, repo), comment_id)  # a 404 comes before a bad body
    text = await _comment_body(request)
    repository = store.repo(owner, repo)  # again: a reset may have run meanwhile
    comment = store.edit_comment(repository, comment_id, text)
    logger.info(
        "github_fake_comment_edited repo=%s comment_id=%d", repository.full_name, comment_id
    )
    return github_json(render.issue_comment(repository, comment, urls))
