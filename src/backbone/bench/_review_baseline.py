"""The baseline of ``backbone bench review``: the review's own work, bare, in one process.

``python -m backbone.bench._review_baseline REVIEWS OUT OWNER/REPO NUMBER`` reads the pull
request from the GitHub the review settings name (the run's fake) once, with
:func:`backbone.review.reviewer.fetch_snapshot`, and then times ``REVIEWS`` calls of
:func:`backbone.review.reviewer.build_review` on it after a warm-up (CrewAI's first
kickoff in a process costs seconds): ruff on the changed Python files and the Expert
Code Reviewer crew on the offline engine ``local``, the files it reads answered from
the snapshot. No API, no job table, no queue, no worker, no GitHub calls, nothing
posted: what is left is the work itself.

It writes ``{"reviews": ..., "seconds": ..., "errors": ..., "findings": ...}`` to
``OUT``. A process of its own, so that CrewAI is never imported by the benchmark and
writes its files under the settings' data directory.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["WARMUP", "main", "measure"]

WARMUP = 2


def measure(run: Callable[[], Any], reviews: int, *, warmup: int = WARMUP) -> dict[str, float]:
    """``run`` ``reviews`` times after ``warmup`` runs: reviews built, seconds, errors."""
    for _ in range(warmup):
        run()
    errors = 0
    started = time.perf_counter()
    for _ in range(reviews):
        try:
            run()
        except Exception:  # a failed build is counted, as a failed review is
            errors += 1
    seconds = time.perf_counter() - started
    return {"reviews": reviews - errors, "seconds": seconds, "errors": errors}


def _review(repo_name: str, number: int) -> tuple[Callable[[], Any], int]:
    """What to time (one build of the review), and how many findings one build has."""
    from backbone.agents import AgentSettings, configure_crewai
    from backbone.review.config import ReviewSettings
    from backbone.review.github import GitHubClient, RepoRef
    from backbone.review.reviewer import build_review, fetch_snapshot

    settings = ReviewSettings()
    configure_crewai(data_dir=settings.data_dir)
    repo = RepoRef.parse(repo_name)

    async def fetch() -> Any:
        async with GitHubClient.from_settings(settings) as github:
            return await fetch_snapshot(github, repo, number, settings=settings)

    snapshot = asyncio.run(fetch())
    agents = AgentSettings(model="local")

    def read_file(path: str) -> str:
        if path not in snapshot.sources:
            raise FileNotFoundError(path)
        text: str = snapshot.sources[path]
        return text

    # The worker's handler redacts the same secrets from everything the crew sees.
    known = (settings.webhook_secret, settings.api_token, settings.github_token)
    hidden = [secret.get_secret_value() for secret in known if secret is not None]

    def build() -> Any:
        return build_review(snapshot, agents=agents, read_file=read_file, secrets=hidden)

    return build, len(build().findings)


def main(argv: Sequence[str] = tuple(sys.argv[1:])) -> int:
    """Time the loop and write its result; the exit code."""
    reviews, out, repo, number = int(argv[0]), Path(argv[1]), argv[2], int(argv[3])
    build, findings = _review(repo, number)
    result = {**measure(build, reviews), "findings": findings}
    out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
