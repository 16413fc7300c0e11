"""The exceptions of the GitHub client: one root, one class per thing a caller can act on.

Exception tree::

    Exception
    └── GitHubError              the root (also: an answer no subclass covers, e.g. 422)
        ├── GitHubAuthError      401, or a 403 that is not a rate limit; bad credentials
        ├── GitHubNotFound       404, or no file at the path (a directory, a submodule)
        ├── GitHubRateLimited    rate limited for longer than the client may wait (.wait)
        ├── GitHubUnavailable    5xx or a transport error, after the retries allowed
        ├── GitHubBadResponse    an answer that is not the JSON GitHub documents
        └── GitHubFileTooLarge   a file larger than the client reads (.size, .limit)

Messages name the method, the path and the status, never a credential: the client
sends its token in a header and scrubs it from anything GitHub answers.
"""

from __future__ import annotations

__all__ = [
    "GitHubAuthError",
    "GitHubBadResponse",
    "GitHubError",
    "GitHubFileTooLarge",
    "GitHubNotFound",
    "GitHubRateLimited",
    "GitHubUnavailable",
]


class GitHubError(Exception):
    """The root of every exception the GitHub client raises.

    ``status`` is GitHub's HTTP status when there was an answer, else None.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubAuthError(GitHubError):
    """GitHub refused the credentials (401) or the permission (403, not a rate limit)."""


class GitHubNotFound(GitHubError):
    """No such repository, pull request, file or comment, or the App is not installed."""


class GitHubRateLimited(GitHubError):
    """Rate limited, and waiting it out would take longer than allowed.

    ``wait`` is the seconds GitHub asked for (``Retry-After`` or until
    ``x-ratelimit-reset``): the caller may try again after that.
    """

    def __init__(self, message: str, *, wait: float, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.wait = wait


class GitHubUnavailable(GitHubError):
    """GitHub answered 5xx or could not be reached, on every attempt allowed.

    For a POST this is ambiguous: GitHub may have done what was asked.
    """


class GitHubBadResponse(GitHubError):
    """GitHub's answer is not the JSON its documentation describes."""


class GitHubFileTooLarge(GitHubError):
    """The file is ``size`` bytes, more than the client's ``limit``: it was not read."""

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit
