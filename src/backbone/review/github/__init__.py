"""GitHub, as the review sees it: the data shapes and the calls (the client comes later)."""

from backbone.review.github._models import (
    InlineComment,
    IssueComment,
    PostedReview,
    PullFile,
    PullRequest,
    RepoRef,
)
from backbone.review.github._protocol import GitHubApi

__all__ = [
    "GitHubApi",
    "InlineComment",
    "IssueComment",
    "PostedReview",
    "PullFile",
    "PullRequest",
    "RepoRef",
]
