"""The webhook's pure parts: GitHub's signature test vector, tampering, bodies, and which
deliveries are reviewed, skipped or ignored."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from backbone.review.webhook import (
    WebhookBodyError,
    decide,
    parse_body,
    sign,
    signature_matches,
)

SECRET = b"It's a Secret to Everybody"
BODY = b"Hello, World!"
GITHUB_VECTOR = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
HEAD = "a" * 40


def pull_request(action: str = "opened", **pull: Any) -> dict[str, Any]:
    """A minimal pull_request delivery body."""
    return {
        "action": action,
        "number": 7,
        "pull_request": {
            "number": 7,
            "title": "Add things",
            "state": "open",
            "draft": False,
            "updated_at": "2026-12-06T10:00:00Z",
            "head": {"sha": HEAD},
            "user": {"login": "octocat", "type": "User"},
            **pull,
        },
        "repository": {"full_name": "octo-org/hello-world"},
        "sender": {"login": "octocat", "type": "User"},
        "installation": {"id": 42},
    }


def test_githubs_own_test_vector() -> None:
    """GitHub's documented example: the secret and body give exactly its signature."""
    assert sign(SECRET, BODY) == GITHUB_VECTOR
    assert signature_matches(SECRET, BODY, GITHUB_VECTOR)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        GITHUB_VECTOR.replace("sha256=", "sha1="),
        GITHUB_VECTOR.replace("sha256=", "sha512="),
        GITHUB_VECTOR[:-1] + "0",
        GITHUB_VECTOR[:-2],
        GITHUB_VECTOR + "00",
        GITHUB_VECTOR.replace("sha256=", ""),
        "sha256=" + "z" * 64,
    ],
)
def test_missing_malformed_or_wrong_signatures_fail(header: str | None) -> None:
    """Missing, another algorithm, truncated, extended or wrong digests do not match."""
    assert not signature_matches(SECRET, BODY, header)


def test_a_body_changed_after_signing_fails() -> None:
    """One byte changed after signing: the signature no longer matches."""
    assert not signature_matches(SECRET, b"Hello, World?", GITHUB_VECTOR)
    assert not signature_matches(b"another secret", BODY, GITHUB_VECTOR)


def test_upper_case_hex_matches() -> None:
    """Hex digits are compared without regard to case."""
    assert signature_matches(SECRET, BODY, GITHUB_VECTOR.upper().replace("SHA256=", "sha256="))


def test_json_and_form_bodies_parse_the_same() -> None:
    """GitHub's two content types carry the same object."""
    data = pull_request()
    as_json = json.dumps(data).encode()
    as_form = urlencode({"payload": json.dumps(data)}).encode()
    assert parse_body(as_json, "application/json") == data
    assert parse_body(as_form, "application/x-www-form-urlencoded") == data


@pytest.mark.parametrize(
    ("body", "media_type"),
    [
        (b"not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"payload=%7B", "application/x-www-form-urlencoded"),
        (b"other=1", "application/x-www-form-urlencoded"),
        (b"payload=1&payload=2", "application/x-www-form-urlencoded"),
    ],
)
def test_bodies_that_are_not_an_object_are_400(body: bytes, media_type: str) -> None:
    """Not JSON, not an object, not UTF-8, no single payload field: 400."""
    with pytest.raises(WebhookBodyError) as caught:
        parse_body(body, media_type)
    assert caught.value.status == 400


NO_SKIPS: frozenset[str] = frozenset()


def test_ping_is_answered() -> None:
    """A ping is a pong."""
    assert (
        decide("ping", {"zen": "Keep it logically awesome."}, skip_senders=NO_SKIPS).outcome
        == "pong"
    )


@pytest.mark.parametrize("action", ["opened", "reopened", "synchronize", "ready_for_review"])
def test_the_four_actions_are_reviewed(action: str) -> None:
    """opened, reopened, synchronize and ready_for_review queue a review of the head."""
    decision = decide("pull_request", pull_request(action), skip_senders=NO_SKIPS)
    assert decision.outcome == "queued"
    assert decision.event is not None
    assert decision.event.pull_request.head.sha == HEAD
    assert decision.event.repo.full_name == "octo-org/hello-world"


@pytest.mark.parametrize(
    ("event", "action"),
    [
        ("push", None),
        ("issues", "opened"),
        ("pull_request", "closed"),
        ("pull_request", "labeled"),
        ("pull_request", "edited"),
        ("pull_request_review", "submitted"),
        (None, "opened"),
    ],
)
def test_other_events_and_actions_are_ignored(event: str | None, action: str | None) -> None:
    """Anything not handled is acknowledged and ignored, with the reason."""
    body = pull_request(action or "x") if action else {"ref": "refs/heads/main"}
    decision = decide(event, body, skip_senders=NO_SKIPS)
    assert decision.outcome == "ignored"
    assert decision.reason


def test_drafts_are_skipped() -> None:
    """A draft pull request is skipped; ready_for_review later gets it reviewed."""
    decision = decide("pull_request", pull_request(draft=True), skip_senders=NO_SKIPS)
    assert (decision.outcome, decision.reason) == ("skipped", "the pull request is a draft")


def test_closed_pull_requests_are_skipped() -> None:
    """A closed pull request (say, a stale redelivery) is skipped."""
    decision = decide(
        "pull_request", pull_request("reopened", state="closed"), skip_senders=NO_SKIPS
    )
    assert decision.outcome == "skipped"


def test_bot_senders_are_skipped() -> None:
    """A Bot account, and a configured login (case-insensitive), are skipped."""
    bot = pull_request()
    bot["sender"] = {"login": "dependabot[bot]", "type": "Bot"}
    assert decide("pull_request", bot, skip_senders=NO_SKIPS).outcome == "skipped"
    listed = pull_request()
    listed["sender"] = {"login": "Renovate-Helper", "type": "User"}
    decision = decide("pull_request", listed, skip_senders=frozenset({"renovate-helper"}))
    assert decision.outcome == "skipped"
    assert "Renovate-Helper" in (decision.reason or "")


@pytest.mark.parametrize(
    "broken",
    [
        {"head": {"sha": "not-a-sha"}},
        {"head": {}},
        {"number": 0},
    ],
)
def test_a_reviewed_action_without_what_a_review_needs_is_422(broken: dict[str, Any]) -> None:
    """A pull_request delivery missing or mangling the head, number: 422."""
    with pytest.raises(WebhookBodyError) as caught:
        decide("pull_request", pull_request(**broken), skip_senders=NO_SKIPS)
    assert caught.value.status == 422


def test_a_repository_name_that_could_steer_a_url_is_422() -> None:
    """``full_name`` with traversal or extra slashes never becomes a repository."""
    for name in ("octo/../admin", "octo/a/b", "/etc", "octo", "octo/hello world"):
        body = pull_request()
        body["repository"]["full_name"] = name
        with pytest.raises(WebhookBodyError):
            decide("pull_request", body, skip_senders=NO_SKIPS)
