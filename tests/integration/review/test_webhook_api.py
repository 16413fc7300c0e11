"""The webhook route with real PostgreSQL and Redis: signatures, the events handled,
de-duplication of deliveries and of heads, supersede, and what is recorded and queued."""

from __future__ import annotations

import asyncio
import json

import httpx

from backbone.review import create_app
from backbone.review.config import MAX_WEBHOOK_BYTES
from tests.integration.reports.conftest import Queue, assert_problem, serving
from tests.integration.review.conftest import (
    GitHub,
    ReviewTable,
    new_delivery,
    pull_request_body,
    review_settings,
)


async def test_a_ping_is_answered_200(github: GitHub, reviews: ReviewTable) -> None:
    """``ping`` → 200 pong; nothing recorded."""
    response = await github.deliver({"zen": "Design for failure.", "hook_id": 1}, event="ping")
    assert response.status_code == 200
    assert response.json()["outcome"] == "pong"
    assert await reviews.rows() == []


async def test_an_opened_pull_request_is_recorded_and_queued(
    github: GitHub, reviews: ReviewTable, queue: Queue
) -> None:
    """``opened`` → 202 queued: one row with what was reviewed, one message naming it."""
    delivery = new_delivery()
    response = await github.deliver(pull_request_body(), delivery=delivery)
    assert response.status_code == 202, response.text
    ack = response.json()
    assert ack["outcome"] == "queued"
    assert ack["delivery"] == delivery
    [row] = await reviews.rows()
    assert str(row["id"]) == ack["review_id"]
    assert (row["repository"], row["pull_number"], row["head_sha"]) == (
        "octo-org/hello-world",
        7,
        "a" * 40,
    )
    assert (row["delivery"], row["action"], row["sender"], row["state"]) == (
        delivery,
        "opened",
        "octocat",
        "pending",
    )
    assert row["installation_id"] == 42
    assert await queue.job_ids() == [ack["review_id"]]


async def test_bad_signatures_are_401_and_queue_nothing(
    github: GitHub, reviews: ReviewTable, queue: Queue
) -> None:
    """Missing, wrong, another algorithm, another secret, a body changed after signing:
    401 problem+json, and nothing recorded or queued."""
    body = json.dumps(pull_request_body()).encode()
    other = GitHub(github.client, secret="not-the-secret")
    responses = [
        await github.deliver(body, signature=None),
        await github.deliver(body, signature="sha256=" + "0" * 64),
        await github.deliver(body, signature="sha1=" + "0" * 40),
        await other.deliver(body),
    ]
    signed_then_changed = github.client.build_request(
        "POST", "/webhooks/github", content=body.replace(b"opened", b"reopened")
    )
    signed_then_changed.headers.update(
        {
            "Content-Type": "application/json",
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": new_delivery(),
            "X-Hub-Signature-256": (await _signature_of(github, body)),
        }
    )
    responses.append(await github.client.send(signed_then_changed))
    for response in responses:
        assert_problem(response, 401)
    assert await reviews.rows() == []
    assert await queue.job_ids() == []


async def _signature_of(github: GitHub, body: bytes) -> str:
    from backbone.review.webhook import sign

    return sign(github.secret, body)


async def test_a_redelivery_reviews_nothing_twice(
    github: GitHub, reviews: ReviewTable, queue: Queue
) -> None:
    """The same X-GitHub-Delivery again → 202 duplicate, the same review, one row, one message."""
    delivery = new_delivery()
    first = (await github.deliver(pull_request_body(), delivery=delivery)).json()
    again = await github.deliver(pull_request_body(), delivery=delivery)
    assert again.status_code == 202
    assert again.json()["outcome"] == "duplicate"
    assert again.json()["review_id"] == first["review_id"]
    assert len(await reviews.rows()) == 1
    assert await queue.job_ids() == [first["review_id"]]


async def test_concurrent_redeliveries_make_one_review(
    github: GitHub, reviews: ReviewTable, queue: Queue
) -> None:
    """Ten copies of one delivery at once (replicas share the table): one review."""
    delivery = new_delivery()
    answers = await asyncio.gather(
        *(github.deliver(pull_request_body(), delivery=delivery) for _ in range(10))
    )
    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.json()["review_id"] for answer in answers}) == 1
    assert sorted(answer.json()["outcome"] for answer in answers) == ["duplicate"] * 9 + ["queued"]
    assert len(await reviews.rows()) == 1
    assert len(await queue.job_ids()) == 1


async def test_another_delivery_for_a_reviewed_head_names_its_review(
    github: GitHub, reviews: ReviewTable, queue: Queue
) -> None:
    """``ready_for_review`` for a head already queued: duplicate, the first review's id."""
    first = (await github.deliver(pull_request_body("opened"))).json()
    second = await github.deliver(pull_request_body("ready_for_review"))
    assert second.json()["outcome"] == "duplicate"
    assert second.json()["review_id"] == first["review_id"]
    assert len(await reviews.rows()) == 1
    assert len(await queue.job_ids()) == 1


async def test_a_new_head_supersedes_the_pending_review_of_the_old(
    github: GitHub, reviews: ReviewTable, queue: Queue
) -> None:
    """``synchronize`` to head B: B queued, A's pending review cancelled as superseded."""
    old = (await github.deliver(pull_request_body(head="a" * 40))).json()
    new = (
        await github.deliver(
            pull_request_body("synchronize", head="c" * 40, updated_at="2026-12-06T10:05:00Z")
        )
    ).json()
    assert new["outcome"] == "queued"
    rows = {str(row["id"]): row for row in await reviews.rows()}
    assert rows[old["review_id"]]["state"] == "cancelled"
    assert rows[old["review_id"]]["error"] == f"superseded by {'c' * 40}"
    assert rows[new["review_id"]]["state"] == "pending"


async def test_a_late_delivery_of_an_older_head_supersedes_nothing(
    github: GitHub, reviews: ReviewTable
) -> None:
    """A delivery for an older head that arrives late leaves the newer review alone."""
    newer = (
        await github.deliver(pull_request_body(head="c" * 40, updated_at="2026-12-06T10:05:00Z"))
    ).json()
    await github.deliver(
        pull_request_body("opened", head="a" * 40, updated_at="2026-12-06T10:00:00Z")
    )
    rows = {str(row["id"]): row for row in await reviews.rows()}
    assert rows[newer["review_id"]]["state"] == "pending"


async def test_other_pull_requests_are_not_superseded(github: GitHub, reviews: ReviewTable) -> None:
    """A new head of pull request 8 leaves pull request 7's review pending."""
    seven = (await github.deliver(pull_request_body(number=7))).json()
    await github.deliver(pull_request_body("synchronize", number=8, head="d" * 40))
    rows = {str(row["id"]): row for row in await reviews.rows()}
    assert rows[seven["review_id"]]["state"] == "pending"


async def test_drafts_bots_and_closed_are_skipped_and_recorded_nowhere(
    github: GitHub, reviews: ReviewTable, queue: Queue
) -> None:
    """Draft, Bot sender, closed: 202 skipped with the reason; no row, no message."""
    draft = await github.deliver(pull_request_body(draft=True))
    bot = await github.deliver(
        pull_request_body(sender={"login": "dependabot[bot]", "type": "Bot"})
    )
    closed = await github.deliver(pull_request_body("reopened", state="closed"))
    for response in (draft, bot, closed):
        assert response.status_code == 202
        assert response.json()["outcome"] == "skipped"
        assert response.json()["reason"]
        assert response.json()["review_id"] is None
    assert await reviews.rows() == []
    assert await queue.job_ids() == []


async def test_other_events_are_acknowledged_and_ignored(
    github: GitHub, reviews: ReviewTable
) -> None:
    """``push``, ``issues``, a ``closed`` action: 202 ignored, nothing recorded."""
    for event, body in (
        ("push", {"ref": "refs/heads/main"}),
        ("issues", {"action": "opened"}),
        ("pull_request", pull_request_body("closed")),
    ):
        response = await github.deliver(body, event=event)
        assert response.status_code == 202
        assert response.json()["outcome"] == "ignored"
    assert await reviews.rows() == []


async def test_form_encoded_deliveries_are_accepted(github: GitHub, reviews: ReviewTable) -> None:
    """GitHub's ``application/x-www-form-urlencoded`` (``payload=``) works as JSON does."""
    from urllib.parse import urlencode

    raw = urlencode({"payload": json.dumps(pull_request_body())}).encode()
    response = await github.deliver(raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 202, response.text
    assert response.json()["outcome"] == "queued"
    assert len(await reviews.rows()) == 1


async def test_signed_bodies_that_are_not_deliveries(github: GitHub, reviews: ReviewTable) -> None:
    """Signed but not JSON: 400; another content type: 415; no head: 422; no delivery
    id: 422. Nothing recorded."""
    assert_problem(await github.deliver(b"{not json"), 400)
    assert_problem(await github.deliver(b"hello", content_type="text/plain"), 415)
    broken = pull_request_body()
    del broken["pull_request"]["head"]
    assert_problem(await github.deliver(broken), 422)
    assert_problem(await github.deliver(pull_request_body(), delivery="bad id with spaces"), 422)
    assert await reviews.rows() == []


async def test_bodies_over_githubs_cap_are_413(github: GitHub, reviews: ReviewTable) -> None:
    """A body over 25 MB (GitHub's cap) is 413, whatever its signature."""
    raw = b"{" + b" " * MAX_WEBHOOK_BYTES + b"}"
    response = await github.deliver(raw)
    assert_problem(response, 413)
    assert await reviews.rows() == []


async def test_the_database_down_is_503_and_queues_nothing(redis_url: str, queue: Queue) -> None:
    """No PostgreSQL: 503 with Retry-After, and no message (GitHub can redeliver)."""
    from tests.integration.reports.conftest import closed_database_url

    settings = review_settings(database_url=closed_database_url(), redis_url=redis_url)
    async with serving(create_app(settings)) as client:
        response = await GitHub(client).deliver(pull_request_body())
    assert_problem(response, 503)
    assert response.headers["Retry-After"].isdigit()
    assert await queue.job_ids() == []


async def test_deliveries_are_counted_in_metrics(github: GitHub, api: httpx.AsyncClient) -> None:
    """``review_webhook_deliveries_total{event,outcome}`` counts what was done."""
    await github.deliver({"zen": "x"}, event="ping")
    await github.deliver(pull_request_body())
    text = (await api.get("/metrics")).text
    assert 'review_webhook_deliveries_total{event="ping",outcome="pong"} 1.0' in text
    assert 'review_webhook_deliveries_total{event="pull_request",outcome="queued"} 1.0' in text
