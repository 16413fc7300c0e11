"""``backbone.review.github``: the review's one small GitHub client.

:class:`GitHubClient` implements :class:`GitHubApi` (the calls a review makes) over the
house's :class:`~backbone.resilience.ResilientClient`, bound to one API URL (GitHub,
GitHub Enterprise or the fake GitHub) with redirects off. It waits out GitHub's rate
limits, retries GETs on 5xx and transport errors, and never repeats a write blindly.
It authenticates with a personal access token (:class:`TokenAuth`) or as a GitHub App
installation (:class:`AppAuth`); :meth:`GitHubClient.from_settings` picks one from
:class:`~backbone.review.config.ReviewSettings`.

Exception tree::

    Exception
    └── GitHubError              the root (also: an answer no subclass covers, e.g. 422)
        ├── GitHubAuthError      401, or a 403 that is not a rate limit; bad credentials
        ├── GitHubNotFound       404, or no file at the path (a directory, a submodule)
        ├── GitHubRateLimited    rate limited for longer than the client may wait (.wait)
        ├── GitHubUnavailable    5xx or a transport error, after the retries allowed
        ├── GitHubBadResponse    an answer that is not the JSON GitHub documents
        └── GitHubFileTooLarge   a file larger than the client reads (.size, .limit)

Invalid arguments (a hostile path, a ref that is not a SHA) raise ValueError before any
request is sent.

Example::

    async with GitHubClient.from_settings(get_settings()) as github:
        repo = RepoRef.parse("octo-org/hello-world")
        pull = await github.pull_request(repo, 42)
        files = await github.pull_request_files(repo, 42, limit=50)
        text = await github.file_text(repo, files[0].filename, ref=pull.head_sha)
"""

from backbone.review.github._auth import AppAuth, AppRequests, GitHubAuth, TokenAuth
from backbone.review.github._client import DEFAULT_API_URL, MAX_PULL_FILES, GitHubClient
from backbone.review.github._errors import (
    GitHubAuthError,
    GitHubBadResponse,
    GitHubError,
    GitHubFileTooLarge,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubUnavailable,
)
from backbone.review.github._models import (
    InlineComment,
    IssueComment,
    PostedReview,
    PullFile,
    PullRequest,
    RepoRef,
)
from backbone.review.github._paths import content_path
from backbone.review.github._protocol import GitHubApi

__all__ = [
    "DEFAULT_API_URL",
    "MAX_PULL_FILES",
    "AppAuth",
    "AppRequests",
    "GitHubApi",
    "GitHubAuth",
    "GitHubAuthError",
    "GitHubBadResponse",
    "GitHubClient",
    "GitHubError",
    "GitHubFileTooLarge",
    "GitHubNotFound",
    "GitHubRateLimited",
    "GitHubUnavailable",
    "InlineComment",
    "IssueComment",
    "PostedReview",
    "PullFile",
    "PullRequest",
    "RepoRef",
    "TokenAuth",
    "content_path",
]
