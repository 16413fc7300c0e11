"""``GET /reviews`` and ``GET /reviews/{id}``: the bearer token, pages, filters, 404."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.integration.reports.conftest import assert_problem
from tests.integration.review.conftest import TOKEN, GitHub, pull_request_body

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
    ],
)
async def test_reading_reviews_needs_the_token(
    api: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """No token, a wrong one, no scheme, another scheme: 401 with WWW-Authenticate."""
    for path in ("/reviews", f"/reviews/{uuid.uuid4()}"):
        response = await api.get(path, headers=headers)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_review_reads_back(api: httpx.AsyncClient, github: GitHub) -> None:
    """The review a delivery recorded: what, when, its state, no comment yet."""
    ack = (await github.deliver(pull_request_body())).json()
    response = await api.get(f"/reviews/{ack['review_id']}", headers=AUTH)
    assert response.status_code == 200
    review = response.json()
    assert review["repository"] == "octo-org/hello-world"
    assert (review["pull_number"], review["head_sha"], review["status"]) == (7, "a" * 40, "pending")
    assert review["comment_url"] is None
    assert review["title"] == "Add a greeting module"


async def test_an_unknown_review_is_404(api: httpx.AsyncClient) -> None:
    """An id that names no review: 404; a malformed one: 422."""
    assert_problem(await api.get(f"/reviews/{uuid.uuid4()}", headers=AUTH), 404)
    assert_problem(await api.get("/reviews/not-a-uuid", headers=AUTH), 422)


async def test_pages_and_filters(api: httpx.AsyncClient, github: GitHub) -> None:
    """Newest first, ``next`` keeps the filters, repository / pull / status filter."""
    for number in (1, 2, 3):
        await github.deliver(pull_request_body(number=number, head=f"{number}" * 40))
    page = (await api.get("/reviews", params={"limit": 2}, headers=AUTH)).json()
    assert page["total"] == 3
    assert [item["pull_number"] for item in page["items"]] == [3, 2]
    assert page["next"] == "/reviews?limit=2&offset=2"
    only = (await api.get("/reviews", params={"pull_number": 2}, headers=AUTH)).json()
    assert [item["pull_number"] for item in only["items"]] == [2]
    other = (await api.get("/reviews", params={"repository": "someone/else"}, headers=AUTH)).json()
    assert other["total"] == 0
    done = (await api.get("/reviews", params={"status": "complete"}, headers=AUTH)).json()
    assert done["total"] == 0
    assert_problem(await api.get("/reviews", params={"repository": "../x"}, headers=AUTH), 422)
