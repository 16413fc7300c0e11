"""A GitHub webhook delivery: its signature, its body, and what it asks of the service.

Everything here is a plain function of the delivery's bytes and headers, tested without
a server. :func:`signature_matches` runs on the raw body before anything parses it;
:func:`decide` reads a verified, parsed body and says what to do: answer a ping, queue a
review, or acknowledge and skip or ignore (with the reason).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backbone.review.github import RepoRef

__all__ = [
    "DELIVERY_PATTERN",
    "REVIEWED_ACTIONS",
    "Decision",
    "PullRequestEvent",
    "WebhookBodyError",
    "decide",
    "parse_body",
    "sign",
    "signature_matches",
]

REVIEWED_ACTIONS = frozenset({"opened", "reopened", "synchronize", "ready_for_review"})
DELIVERY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_SIGNATURE = re.compile(r"^sha256=([0-9a-fA-F]{64})$")
_SHA = re.compile(r"^[0-9a-f]{40}$")

Outcome = Literal["pong", "queued", "duplicate", "skipped", "ignored"]


class WebhookBodyError(ValueError):
    """A signed body that is not what GitHub sends (400), or lacks what a review needs (422)."""

    def __init__(self, detail: str, *, status: int) -> None:
        super().__init__(detail)
        self.status = status


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_matches(secret: bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is ``sha256=`` and the body's HMAC (compared in constant time)."""
    if header is None:
        return False
    match = _SIGNATURE.match(header.strip())
    if match is None:
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1).lower())


def parse_body(body: bytes, media_type: str) -> dict[str, Any]:
    """The delivery's JSON object, from ``application/json`` or GitHub's form encoding
    (``payload=<json>``); :class:`WebhookBodyError` (400) for anything else."""
    try:
        if media_type == "application/x-www-form-urlencoded":
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=10)
            payloads = fields.get("payload", [])
            if len(payloads) != 1:
                raise WebhookBodyError("The form has no single 'payload' field.", status=400)
            data = json.loads(payloads[0])
        else:
            data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        if isinstance(exc, WebhookBodyError):
            raise
        raise WebhookBodyError("The body is not a JSON object in UTF-8.", status=400) from None
    if not isinstance(data, dict):
        raise WebhookBodyError("The body is not a JSON object.", status=400)
    return data


class _Account(BaseModel):
    model_config = ConfigDict(extra="ignore")
    login: str = Field(min_length=1, max_length=100)
    type: str = "User"


class _Commit(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sha: str = Field(pattern=_SHA.pattern)


class _PullRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    number: int = Field(ge=1, le=2**31 - 1)
    title: str = Field(default="", max_length=1024)
    state: str
    draft: bool = False
    updated_at: datetime | None = None
    head: _Commit
    user: _Account | None = None


class _Repository(BaseModel):
    model_config = ConfigDict(extra="ignore")
    full_name: str = Field(max_length=140)


class _Installation(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int = Field(ge=1)


class PullRequestEvent(BaseModel):
    """The members of a ``pull_request`` delivery a review needs."""

    model_config = ConfigDict(extra="ignore")

    action: str = Field(max_length=64)
    pull_request: _PullRequest
    repository: _Repository
    sender: _Account
    installation: _Installation | None = None

    @property
    def repo(self) -> RepoRef:
        return RepoRef.parse(self.repository.full_name)


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a verified delivery."""

    outcome: Outcome
    reason: str | None = None
    event: PullRequestEvent | None = None


def _is_bot(sender: _Account, skip_senders: frozenset[str]) -> bool:
    return sender.type == "Bot" or sender.login.lower() in skip_senders


def decide(event: str | None, payload: dict[str, Any], *, skip_senders: frozenset[str]) -> Decision:
    """What a verified delivery of ``event`` asks for (``skip_senders`` in lower case).

    :class:`WebhookBodyError` (422) for a ``pull_request`` delivery with an action to
    review that lacks what a review needs.
    """
    if event == "ping":
        return Decision("pong")
    action = payload.get("action")
    if event != "pull_request":
        return Decision("ignored", f"event {event or '(none)'} is not reviewed")
    if action not in REVIEWED_ACTIONS:
        return Decision("ignored", f"pull_request action {action!r} is not reviewed")
    try:
        parsed = PullRequestEvent.model_validate(payload)
        parsed.repo  # noqa: B018 - validates owner/name
    except (ValidationError, ValueError) as exc:
        raise WebhookBodyError(
            f"Not a pull_request delivery a review can use: {exc}", status=422
        ) from None
    pull = parsed.pull_request
    if pull.state != "open":
        return Decision("skipped", "the pull request is closed", parsed)
    if pull.draft:
        return Decision("skipped", "the pull request is a draft", parsed)
    if _is_bot(parsed.sender, skip_senders):
        return Decision("skipped", f"the sender {parsed.sender.login} is a bot", parsed)
    return Decision("queued", None, parsed)
