"""The review job's work, for the jobs layer's runner: read the pull request, lint it,
let the reviewer explain it, post the one comment. :func:`review_pull_request` is the
whole of it, shared with ``backbone review pr``.

A worker thread has no event loop, and the GitHub client is async: a review runs one
event loop (``asyncio.run``) for its GitHub calls, and the crew, which is synchronous
and refuses a running loop, in a thread of its own (``asyncio.to_thread``); the files
the agent reads through its tool are fetched on the review's loop.

Delivered again (a worker killed mid-review), a review runs again from the start: the
comment is found by its marker and edited, so there is still one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backbone.agents import AgentSettings
from backbone.jobs import JobContext, JobHandler
from backbone.review.config import ReviewSettings
from backbone.review.github import GitHubClient, RepoRef
from backbone.review.report import ReviewReport
from backbone.review.reviewer import Published, build_review, publish_review
from backbone.review.snapshot import fetch_snapshot, file_reader

__all__ = ["ReviewHandler", "ReviewRun", "review_pull_request"]

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReviewRun:
    """What one review did: the report (None when the head moved on), what was posted
    (None for a dry run), or why nothing was."""

    report: ReviewReport | None
    published: Published | None = None
    skipped: str | None = None


def _secrets(settings: ReviewSettings) -> list[str]:
    values = [settings.webhook_secret, settings.api_token, settings.github_token]
    return [value.get_secret_value() for value in values if value is not None]


async def _review(
    settings: ReviewSettings,
    agents: AgentSettings,
    repo: RepoRef,
    number: int,
    *,
    head: str | None,
    post: bool,
    checkpoint: Callable[[int], None],
) -> ReviewRun:
    async with GitHubClient.from_settings(settings) as github:
        pull = await github.pull_request(repo, number)
        if pull.state != "open" or (head is not None and pull.head_sha != head):
            why = "closed" if pull.state != "open" else f"at {pull.head_sha} now"
            return ReviewRun(None, skipped=f"the pull request is {why}; nothing posted")
        snapshot = await fetch_snapshot(github, repo, number, settings=settings)
        checkpoint(30)
        read = file_reader(github, snapshot, loop=asyncio.get_running_loop())
        report = await asyncio.to_thread(
            build_review, snapshot, agents=agents, read_file=read, secrets=_secrets(settings)
        )
        checkpoint(80)  # a review superseded meanwhile stops here, before it posts
        if not post:
            return ReviewRun(report)
        published = await publish_review(github, report, settings=settings)
    return ReviewRun(report, published)


def review_pull_request(
    settings: ReviewSettings,
    agents: AgentSettings,
    repo: RepoRef,
    number: int,
    *,
    head: str | None = None,
    post: bool = True,
    checkpoint: Callable[[int], None] = lambda _percent: None,
) -> ReviewRun:
    """Review ``repo``'s pull request ``number`` (at ``head``, if given: a pull request
    that moved on or closed is left alone) and post the comment unless ``post`` is
    False. ``checkpoint(percent)`` is called between the steps; what it raises (a
    cancelled job) stops the review before it posts. Blocking: not for an event loop."""
    return asyncio.run(
        _review(settings, agents, repo, number, head=head, post=post, checkpoint=checkpoint)
    )


class ReviewHandler(JobHandler):
    """Reviews one pull request at the head its delivery named."""

    def __init__(self, settings: ReviewSettings) -> None:
        self.settings = settings
        self.agents = AgentSettings()

    def run(self, job: JobContext) -> JsonObject | None:
        row = job.row
        outcome = review_pull_request(
            self.settings,
            self.agents,
            RepoRef.parse(row["repository"]),
            row["pull_number"],
            head=row["head_sha"],
            checkpoint=job.progress,
        )
        if outcome.report is None or outcome.published is None:
            logger.info("review_skipped review_id=%s why=%s", job.job_id, outcome.skipped)
            return {"skipped": outcome.skipped}
        published = outcome.published
        job.note(
            findings=len(outcome.report.findings),
            comment_url=published.comment_url,
            review_url=published.review_url,
        )
        return {**outcome.report.summary(), "comment_url": published.comment_url}
