"""GitHub's pull-request endpoints: the pull request, its files, its reviews and their
inline comments."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import Response

from backbone.mocks.github import render
from backbone.mocks.github.deps import Author, StoreDep, TokenAuth, UrlsDep
from backbone.mocks.github.reviews import create_review
from backbone.mocks.github.routes._http import github_json, paginated, parse_body
from backbone.mocks.github.schemas import ReviewBody
from backbone.mocks.github.store import MAX_LISTED_FILES

logger = logging.getLogger(__name__)

router = APIRouter(tags=["pulls"], dependencies=[TokenAuth])

PULL = "/repos/{owner}/{repo}/pulls/{number}"


@router.get(PULL, summary="Get a pull request.")
async def get_pull(owner: str, repo: str, number: int, store: StoreDep, urls: UrlsDep) -> Response:
    repository, pull = store.pull(owner, repo, number)
    body = render.pull_request(
        repository,
        pull,
        store.changes(repository, pull),
        urls,
        comments=len(store.conversation(repository.full_name, number)),
        review_comments=len(store.review_comments_of(repository.full_name, number)),
    )
    return github_json(body)


@router.get(PULL + "/files", summary="List pull request files (at most 3,000).")
async def list_files(
    owner: str, repo: str, number: int, request: Request, store: StoreDep, urls: UrlsDep
) -> Response:
    repository, pull = store.pull(owner, repo, number)
    changes = store.changes(repository, pull)[:MAX_LISTED_FILES]
    page, headers = paginated(request, changes)
    body = [render.pull_file(repository, pull, change, urls) for change in page]
    return github_json(body, headers=headers)


@router.post(PULL + "/reviews", summary="Create a review for a pull request.")
async def post_review(
    owner: str,
    repo: str,
    number: int,
    request: Request,
    store: StoreDep,
    urls: UrlsDep,
    author: Author,
) -> Response:
    store.pull(owner, repo, number)  # a 404 comes before a bad body, as on GitHub
    body = await parse_body(request, ReviewBody)
    repository, pull = store.pull(owner, repo, number)  # again: a reset may have run meanwhile
    review = create_review(store, repository, pull, body, author=author)
    logger.info(
        "github_fake_review repo=%s number=%d review_id=%d state=%s",
        repository.full_name,
        number,
        review.id,
        review.state,
    )
    return github_json(render.review(repository, review, urls))


@router.get(PULL + "/reviews", summary="List reviews for a pull request.")
async def list_reviews(
    owner: str, repo: str, number: int, request: Request, store: StoreDep, urls: UrlsDep
) -> Response:
    repository, _ = store.pull(owner, repo, number)
    page, headers = paginated(request, store.reviews_of(repository.full_name, number))
    return github_json([render.review(repository, r, urls) for r in page], headers=headers)


@router.get(PULL + "/comments", summary="List review comments on a pull request.")
async def list_review_comments(
    owner: str, repo: str, number: int, request: Request, store: StoreDep, urls: UrlsDep
) -> Response:
    repository, _ = store.pull(owner, repo, number)
    comments = store.review_comments_of(repository.full_name, number)
    page, headers = paginated(request, comments)
    body = [render.review_comment(repository, c, urls) for c in page]
    return github_json(body, headers=headers)
