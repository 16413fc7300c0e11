"""The fake's own endpoints under ``/_fake/`` (not GitHub's; no auth, not recorded): set up
pull requests, push to them, add comments by others, build webhook bodies, inject
failures, read the traffic."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from backbone.core.problems import ProblemError
from backbone.mocks._common import JSON_BODY
from backbone.mocks.github import render
from backbone.mocks.github.deps import SettingsDep, StoreDep, UrlsDep
from backbone.mocks.github.errors import GitHubError
from backbone.mocks.github.render import Urls
from backbone.mocks.github.routes._http import github_json
from backbone.mocks.github.schemas import (
    CommentSpec,
    FailSpec,
    PullSpec,
    PushSpec,
    RateLimitSpec,
)
from backbone.mocks.github.store import FakeGitHub, Pull, Repository

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/_fake", tags=["fake"])

PULL = "/pulls/{owner}/{repo}/{number}"
WebhookAction = Literal[
    "opened",
    "reopened",
    "synchronize",
    "ready_for_review",
    "edited",
    "closed",
    "converted_to_draft",
]


def _pull(store: FakeGitHub, owner: str, repo: str, number: int) -> tuple[Repository, Pull]:
    """The pull request, or a problem+json 404 (this is the fake's API, not GitHub's)."""
    try:
        return store.pull(owner, repo, number)
    except GitHubError:
        raise ProblemError(404, detail=f"No pull request {owner}/{repo}#{number}.") from None


def _pull_json(store: FakeGitHub, repo: Repository, pull: Pull, urls: Urls) -> dict[str, Any]:
    return render.pull_request(
        repo,
        pull,
        store.changes(repo, pull),
        urls,
        comments=len(store.conversation(repo.full_name, pull.number)),
        review_comments=len(store.review_comments_of(repo.full_name, pull.number)),
    )


@router.post("/pulls", dependencies=[Depends(JSON_BODY)], summary="Create or replace a PR.")
async def put_pull(spec: PullSpec, store: StoreDep, urls: UrlsDep) -> Response:
    pull, created = store.put_pull(spec)
    repo = store.repo(*spec.repo.split("/", 1))
    logger.info(
        "github_fake_pull_set repo=%s number=%d head=%s", spec.repo, pull.number, pull.head_sha
    )
    body = _pull_json(store, repo, pull, urls)
    return github_json(body, status=201 if created else 200)


@router.post(PULL + "/push", dependencies=[Depends(JSON_BODY)], summary="Push a new head.")
async def push(
    owner: str, repo: str, number: int, spec: PushSpec, store: StoreDep, urls: UrlsDep
) -> Response:
    repository, _ = _pull(store, owner, repo, number)
    pull = store.push(owner, repo, number, spec.files)
    logger.info(
        "github_fake_push repo=%s number=%d head=%s", repository.full_name, number, pull.head_sha
    )
    return github_json(_pull_json(store, repository, pull, urls))


@router.post(
    PULL + "/comments",
    dependencies=[Depends(JSON_BODY)],
    status_code=201,
    summary="Add a comment by someone else.",
)
async def add_comment(
    owner: str, repo: str, number: int, spec: CommentSpec, store: StoreDep, urls: UrlsDep
) -> Response:
    """What a contributor could write on the pull request, marker included: the bot must
    tell its own comments from it."""
    repository, pull = _pull(store, owner, repo, number)
    comment = store.add_comment(repository, pull, spec.body, author=spec.author)
    logger.info(
        "github_fake_comment_by_other repo=%s number=%d comment_id=%d author=%s",
        repository.full_name, number, comment.id, spec.author,
    )  # fmt: skip
    return github_json(render.issue_comment(repository, comment, urls), status=201)


@router.get(PULL, summary="A PR with its comments, reviews and inline comments.")
async def get_pull_state(
    owner: str, repo: str, number: int, store: StoreDep, urls: UrlsDep
) -> Response:
    repository, pull = _pull(store, owner, repo, number)
    name = repository.full_name
    body = {
        "pull_request": _pull_json(store, repository, pull, urls),
        "comments": [
            render.issue_comment(repository, c, urls) for c in store.conversation(name, number)
        ],
        "reviews": [render.review(repository, r, urls) for r in store.reviews_of(name, number)],
        "review_comments": [
            render.review_comment(repository, c, urls)
            for c in store.review_comments_of(name, number)
        ],
    }
    return github_json(body)


@router.get(PULL + "/webhook", summary="A pull_request webhook body for this PR.")
async def webhook(
    owner: str,
    repo: str,
    number: int,
    store: StoreDep,
    settings: SettingsDep,
    urls: UrlsDep,
    action: Annotated[WebhookAction, Query()] = "opened",
) -> Response:
    repository, pull = _pull(store, owner, repo, number)
    body: dict[str, Any] = {
        "action": action,
        "number": pull.number,
        "pull_request": _pull_json(store, repository, pull, urls),
    }
    if action == "synchronize":
        before = pull.heads[-2] if len(pull.heads) > 1 else pull.base_sha
        body |= {"before": before, "after": pull.head_sha}
    body |= {
        "repository": render.repository(repository, urls),
        "installation": {
            "id": settings.installation_id,
            "node_id": render.node_id("Installation", settings.installation_id),
        },
        "sender": render.user(pull.author, urls, pull.author_type),
    }
    return github_json(body)


@router.post("/rate-limit", dependencies=[Depends(JSON_BODY)], status_code=204)
async def rate_limit(spec: RateLimitSpec, store: StoreDep) -> Response:
    """The next ``requests`` GitHub requests are rate limited."""
    store.traffic.rate_limit_next(
        spec.requests, spec.status, reset_after=spec.reset_after, retry_after=spec.retry_after
    )
    logger.info("github_fake_rate_limit requests=%d status=%d", spec.requests, spec.status)
    return Response(status_code=204)


@router.post("/fail", dependencies=[Depends(JSON_BODY)], status_code=204)
async def fail(spec: FailSpec, store: StoreDep) -> Response:
    """The next ``requests`` GitHub requests answer ``status``."""
    store.traffic.fail_next(spec.requests, spec.status)
    logger.info("github_fake_fail requests=%d status=%d", spec.requests, spec.status)
    return Response(status_code=204)


@router.get("/requests", summary="The requests GitHub's endpoints received.")
async def requests(store: StoreDep) -> Response:
    recorded = [
        {"method": r.method, "path": r.path, "query": r.query, "status": r.status}
        for r in store.traffic.requests()
    ]
    return github_json(recorded)


@router.post("/reset", status_code=204, summary="Back to the seed.")
async def reset(store: StoreDep) -> Response:
    store.reset()
    logger.info("github_fake_reset")
    return Response(status_code=204)
