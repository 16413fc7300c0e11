"""The fake GitHub's reviews, and its controls: pull requests, webhook bodies, reset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.unit.mocks._github_fake import AUTH, PULL, REPO, client_for, make_app


@pytest.fixture
def app() -> FastAPI:
    return make_app()


@pytest.fixture
async def gh(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh fake, authenticated with the configured token."""
    async with client_for(app) as client:
        client.headers.update(AUTH)
        yield client


def inline(path: str, line: int, **extra: Any) -> dict[str, Any]:
    return {"path": path, "line": line, "side": "RIGHT", "body": f"{path}:{line}", **extra}


async def test_review_with_inline_comments(gh: httpx.AsyncClient) -> None:
    """A COMMENT review → 200, state COMMENTED on the head; its inline comments are listed
    with line, side, position and the diff hunk down to their line."""
    head = (await gh.get(PULL)).json()["head"]["sha"]
    comments = [inline("src/hello/greet.py", 8), inline("src/hello/util.py", 8)]
    body = {"commit_id": head, "body": "Summary", "event": "COMMENT", "comments": comments}
    response = await gh.post(f"{PULL}/reviews", json=body)
    assert response.status_code == 200, response.text
    review = response.json()
    assert (review["state"], review["commit_id"], review["body"]) == ("COMMENTED", head, "Summary")
    assert review["user"]["login"] == "backbone-review[bot]"
    assert review["html_url"].endswith(f"/pull/1#pullrequestreview-{review['id']}")
    assert [r["id"] for r in (await gh.get(f"{PULL}/reviews")).json()] == [review["id"]]
    listed = (await gh.get(f"{PULL}/comments")).json()
    assert [(c["path"], c["line"], c["side"]) for c in listed] == [
        ("src/hello/greet.py", 8, "RIGHT"),
        ("src/hello/util.py", 8, "RIGHT"),
    ]
    assert {c["pull_request_review_id"] for c in listed} == {review["id"]}
    util = listed[1]
    assert util["position"] == 5
    assert util["diff_hunk"].startswith("@@ -5,4 +5,4 @@")
    assert util["diff_hunk"].endswith("+    return items == None or len(items) == 0")


@pytest.mark.parametrize(
    ("comment", "error"),
    [
        (
            inline("src/hello/util.py", 3),
            "Pull request review thread line must be part of the diff",
        ),
        (
            inline("src/hello/greet.py", 22),
            "Pull request review thread line must be part of the diff",
        ),
        (inline("src/hello/util.py", 6, side="LEFT"), None),
        (inline("src/hello/nothing.py", 1), "Path could not be resolved"),
    ],
)
async def test_comment_outside_the_diff(
    gh: httpx.AsyncClient, comment: dict[str, Any], error: str | None
) -> None:
    """A line the diff does not show, or a path it does not touch: 422 and nothing recorded;
    a context line is part of the diff on either side."""
    good = inline("src/hello/greet.py", 1)
    body = {"event": "COMMENT", "body": "x", "comments": [good, comment]}
    response = await gh.post(f"{PULL}/reviews", json=body)
    if error is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422
    assert response.json()["message"] == "Unprocessable Entity"
    assert response.json()["errors"] == [error]
    assert (await gh.get(f"{PULL}/reviews")).json() == []
    assert (await gh.get(f"{PULL}/comments")).json() == []


async def test_review_on_an_unknown_commit(gh: httpx.AsyncClient) -> None:
    """A commit_id the pull request never had: 422."""
    body = {"commit_id": "0" * 40, "event": "COMMENT", "body": "x"}
    assert (await gh.post(f"{PULL}/reviews", json=body)).status_code == 422


async def test_review_position_and_multiline(gh: httpx.AsyncClient) -> None:
    """The older ``position`` maps to its line; ``start_line`` spans lines of the diff."""
    comments = [
        {"path": "src/hello/util.py", "position": 5, "body": "p"},
        inline("src/hello/greet.py", 10, start_line=8, start_side="RIGHT"),
    ]
    response = await gh.post(f"{PULL}/reviews", json={"event": "COMMENT", "comments": comments})
    assert response.status_code == 200, response.text
    listed = (await gh.get(f"{PULL}/comments")).json()
    assert [(c["line"], c["start_line"]) for c in listed] == [(8, None), (10, 8)]


async def test_review_on_an_older_head(gh: httpx.AsyncClient) -> None:
    """After a push, a review of the old head is checked against that head's diff."""
    old = (await gh.get(PULL)).json()["head"]["sha"]
    await gh.post(
        "/_fake/pulls/octo-org/hello-world/1/push",
        json={"files": {"src/hello/greet.py": "x = 1\n"}},
    )
    body = {"commit_id": old, "event": "COMMENT", "comments": [inline("src/hello/greet.py", 17)]}
    response = await gh.post(f"{PULL}/reviews", json=body)
    assert (response.status_code, response.json()["commit_id"]) == (200, old)


# -- controls ----------------------------------------------------------------------------


async def test_create_and_replace_a_pull_request(gh: httpx.AsyncClient) -> None:
    """POST /_fake/pulls: 201 when new, 200 when replacing (its comments go with it)."""
    spec = {
        "repo": "octo-org/other",
        "number": 3,
        "title": "Bot change",
        "author": "dependabot[bot]",
        "author_type": "Bot",
        "draft": True,
        "base_files": {"a.py": "a = 1\n"},
        "head_files": {"a.py": "a = 2\n"},
    }
    created = await gh.post("/_fake/pulls", json=spec)
    assert created.status_code == 201
    pr = created.json()
    assert (pr["user"]["login"], pr["user"]["type"], pr["draft"]) == (
        "dependabot[bot]",
        "Bot",
        True,
    )
    await gh.post("/repos/octo-org/other/issues/3/comments", json={"body": "hello"})
    replaced = await gh.post("/_fake/pulls", json=spec | {"title": "Again"})
    assert (replaced.status_code, replaced.json()["title"]) == (200, "Again")
    assert (await gh.get("/repos/octo-org/other/issues/3/comments")).json() == []


@pytest.mark.parametrize(
    "change",
    [{"head_files": {"../x": "y"}}, {"repo": "no-slash"}, {"number": 0}, {"unknown": 1}],
)
async def test_pull_spec_refused(gh: httpx.AsyncClient, change: dict[str, Any]) -> None:
    """A path leaving the tree, a bad repository name or number, an unknown member: 422."""
    spec = {"repo": "octo-org/other", "number": 3, **change}
    response = await gh.post("/_fake/pulls", json=spec)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_push_to_unknown_pull_request(gh: httpx.AsyncClient) -> None:
    """Pushing to a pull request that does not exist: 404 problem+json."""
    response = await gh.post("/_fake/pulls/octo-org/other/9/push", json={"files": {}})
    assert response.status_code == 404


async def test_webhook_body(gh: httpx.AsyncClient) -> None:
    """The webhook builder gives a pull_request delivery body in GitHub's shape."""
    response = await gh.get(
        "/_fake/pulls/octo-org/hello-world/1/webhook", params={"action": "opened"}
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "action",
        "number",
        "pull_request",
        "repository",
        "installation",
        "sender",
    ]
    pr = (await gh.get(PULL)).json()
    assert (body["action"], body["number"]) == ("opened", 1)
    assert body["pull_request"]["head"]["sha"] == pr["head"]["sha"]
    assert body["repository"]["full_name"] == "octo-org/hello-world"
    assert body["installation"]["id"] == 1
    assert body["sender"]["login"] == "octocat"


async def test_synchronize_webhook_has_before_and_after(gh: httpx.AsyncClient) -> None:
    """A synchronize body names the previous and the new head."""
    old = (await gh.get(PULL)).json()["head"]["sha"]
    pushed = await gh.post(
        "/_fake/pulls/octo-org/hello-world/1/push", json={"files": {"n.txt": "n"}}
    )
    url = "/_fake/pulls/octo-org/hello-world/1/webhook?action=synchronize"
    body = (await gh.get(url)).json()
    assert (body["before"], body["after"]) == (old, pushed.json()["head"]["sha"])


async def test_webhook_unknown_action_refused(gh: httpx.AsyncClient) -> None:
    """An action GitHub does not send for pull requests: 422."""
    url = "/_fake/pulls/octo-org/hello-world/1/webhook?action=exploded"
    assert (await gh.get(url)).status_code == 422


async def test_pull_state_view(gh: httpx.AsyncClient) -> None:
    """GET /_fake/pulls/... shows the pull request with what was posted on it."""
    await gh.post(f"{REPO}/issues/1/comments", json={"body": "hi"})
    state = (await gh.get("/_fake/pulls/octo-org/hello-world/1")).json()
    assert [c["body"] for c in state["comments"]] == ["hi"]
    assert state["reviews"] == []
    assert state["review_comments"] == []
    assert state["pull_request"]["comments"] == 1


async def test_reset_brings_back_the_seed(gh: httpx.AsyncClient) -> None:
    """Reset: the seed's head again, no comments, reviews, other PRs or recorded requests."""
    seed_head = (await gh.get(PULL)).json()["head"]["sha"]
    await gh.post("/_fake/pulls/octo-org/hello-world/1/push", json={"files": {"a": "b"}})
    await gh.post(f"{REPO}/issues/1/comments", json={"body": "hi"})
    await gh.post("/_fake/pulls", json={"repo": "octo-org/other", "number": 2})
    assert (await gh.post("/_fake/reset")).status_code == 204
    assert (await gh.get("/_fake/requests")).json() == []
    assert (await gh.get(PULL)).json()["head"]["sha"] == seed_head
    assert (await gh.get(f"{REPO}/issues/1/comments")).json() == []
    assert (await gh.get("/repos/octo-org/other/pulls/2")).status_code == 404
