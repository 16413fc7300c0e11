"""GitHub's error bodies on GitHub's paths: ``{"message", "documentation_url", "status"}``.

The fake's own ``/_fake/`` endpoints, health and metrics keep the project's problem+json;
under :data:`GITHUB_PREFIXES` every error (routing's 404 included) is shaped as GitHub's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from backbone.core.http import status_phrase

GITHUB_PREFIXES = ("/repos/", "/app/", "/rate_limit")
"""The paths that are GitHub's API (authenticated, rate limited, recorded)..."""
GITHUB_PATHS = frozenset({"/app", "/user"})
"""...and these, matched whole (``/users/...`` is not ``/user``)."""
DOCS = "https://docs.github.com/rest"


def is_github_path(path: str) -> bool:
    """True for a path of GitHub's API (not ``/_fake/``, health, metrics or docs)."""
    return path in GITHUB_PATHS or path.startswith(GITHUB_PREFIXES)


class GitHubJSONResponse(JSONResponse):
    """JSON as GitHub sends it (``application/json; charset=utf-8``)."""

    media_type = "application/json; charset=utf-8"


class GitHubError(Exception):
    """Raise on a GitHub path to answer as GitHub does."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        errors: Sequence[object] | None = None,
        documentation_url: str = DOCS,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message or status_phrase(status)
        self.errors = list(errors) if errors is not None else None
        self.documentation_url = documentation_url
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON body GitHub sends with this error."""
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = self.documentation_url
        body["status"] = str(self.status)
        return body

    def response(self) -> Response:
        return GitHubJSONResponse(self.body(), status_code=self.status, headers=self.headers)


def not_found(documentation_url: str = DOCS) -> GitHubError:
    """GitHub's 404 (also what it answers for what a token may not see)."""
    return GitHubError(404, "Not Found", documentation_url=documentation_url)


def unprocessable(*errors: object, message: str = "Unprocessable Entity") -> GitHubError:
    """GitHub's 422 with its ``errors`` list."""
    return GitHubError(422, message, errors=list(errors))


async def _github_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GitHubError)  # noqa: S101 - registered for GitHubError only
    return exc.response()


def install_github_error_handlers(app: FastAPI) -> None:
    """GitHub-shaped errors on GitHub's paths; the app's problem+json everywhere else."""
    app.add_exception_handler(GitHubError, _github_error)
    for kind in (StarletteHTTPException, RequestValidationError):
        fallback = app.exception_handlers[kind]

        async def handle(request: Request, exc: Exception, fallback: Any = fallback) -> Response:
            if not is_github_path(request.url.path):
                response: Response = await fallback(request, exc)
                return response
            # A path parameter that is not a number names nothing: GitHub says 404.
            status = exc.status_code if isinstance(exc, StarletteHTTPException) else 404
            return GitHubError(404 if status == 405 else status).response()

        app.add_exception_handler(kind, handle)
