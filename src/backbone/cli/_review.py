"""``backbone review pr OWNER/REPO NUMBER [--dry-run]``: review one pull request now.

The same review the webhook's worker makes (:func:`backbone.review.handler.review_pull_request`),
in the foreground: it prints the comment, and posts it unless ``--dry-run``. GitHub is
whatever ``BACKBONE_REVIEW_GITHUB_*`` configure (the fake GitHub of ``backbone up`` by
pointing ``BACKBONE_REVIEW_GITHUB_API_URL`` at it). Refusals are one line on stderr,
exit code 1.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

__all__ = ["review_app"]

review_app = typer.Typer(
    help="The code-review agent, on demand (the webhook does the same for every push).",
    no_args_is_help=True,
)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(Text(f"backbone review: {message}", style="bold red"))
    return typer.Exit(1)


@review_app.command("pr")
def review_pr(
    repository: Annotated[str, typer.Argument(help="OWNER/REPO, e.g. octo-org/hello-world.")],
    number: Annotated[int, typer.Argument(min=1, help="The pull request's number.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the comment; post nothing.")
    ] = False,
) -> None:
    """Review one pull request and print the comment (posted too, unless --dry-run)."""
    from backbone.agents import AgentsError, AgentSettings, configure_crewai
    from backbone.review.config import ReviewSettings
    from backbone.review.github import GitHubError, RepoRef
    from backbone.review.handler import review_pull_request

    try:
        repo = RepoRef.parse(repository)
        settings = ReviewSettings()
        agents = AgentSettings()
    except (ValueError, ValidationError) as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    if not settings.github_configured:
        raise _fail(
            "set BACKBONE_REVIEW_GITHUB_TOKEN, or BACKBONE_REVIEW_GITHUB_APP_ID and "
            "BACKBONE_REVIEW_GITHUB_PRIVATE_KEY_FILE (and BACKBONE_REVIEW_GITHUB_API_URL "
            "for GitHub Enterprise or the fake GitHub)"
        )
    configure_crewai(data_dir=settings.data_dir)
    try:
        run = review_pull_request(settings, agents, repo, number, post=not dry_run)
    except (GitHubError, AgentsError) as exc:
        raise _fail(str(exc)) from None
    out = Console(highlight=False, soft_wrap=True)
    if run.report is None:
        out.print(run.skipped or "nothing to review")
        return
    out.print(run.report.comment, markup=False)
    if run.published is not None:
        Console(stderr=True).print(f"posted: {run.published.comment_url}")
