"""The code-review service's settings: the webhook secret, GitHub credentials, the API's
token, the review's caps, and its job queue.

Every value has a ``BACKBONE_REVIEW_*`` variable (the queue's settings are the jobs
layer's, :class:`~backbone.jobs.JobQueueSettings`, under this prefix).

**Secrets.** The webhook secret, the GitHub token, the App's private key and the API
token are :class:`~pydantic.SecretStr`: never logged, never in a ``repr``, never in a
comment or a prompt. Their development defaults are placeholders: any other environment
refuses to start with them.

**GitHub credentials.** Either a personal access token (``BACKBONE_REVIEW_GITHUB_TOKEN``)
or a GitHub App (``BACKBONE_REVIEW_GITHUB_APP_ID`` and
``BACKBONE_REVIEW_GITHUB_PRIVATE_KEY_FILE``: a JWT signed RS256, exchanged for an
installation token). ``BACKBONE_REVIEW_GITHUB_API_URL`` points at GitHub Enterprise, or
at the fake GitHub of :mod:`backbone.mocks.github` (what ``backbone up`` does when no
credentials are configured).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from backbone.core.config import env_list
from backbone.jobs import JobQueueSettings

__all__ = [
    "DEVELOPMENT_API_TOKEN",
    "DEVELOPMENT_WEBHOOK_SECRET",
    "MAX_WEBHOOK_BYTES",
    "ReviewSettings",
    "get_settings",
]

MAX_WEBHOOK_BYTES = 25 * 1024 * 1024
"""GitHub caps a webhook payload at 25 MB: anything larger is not GitHub's."""
DEVELOPMENT_WEBHOOK_SECRET = "development-only-webhook-secret-change-me"  # noqa: S105
DEVELOPMENT_API_TOKEN = "development-only-review-token-change-me"  # noqa: S105
"""The development defaults: refused outside ``development``."""


class ReviewSettings(JobQueueSettings):
    """``BACKBONE_REVIEW_*`` (and the core) settings of the webhook API and the worker."""

    model_config = SettingsConfigDict(env_prefix="BACKBONE_REVIEW_", hide_input_in_errors=True)

    queue: str = Field(default="review", pattern=r"^[a-z][a-z0-9_.-]{0,63}$")

    # -- the webhook and the API
    webhook_secret: SecretStr = SecretStr(DEVELOPMENT_WEBHOOK_SECRET)
    """The secret GitHub signs deliveries with (``X-Hub-Signature-256``)."""
    api_token: SecretStr = SecretStr(DEVELOPMENT_API_TOKEN)
    """The bearer token of ``GET /reviews`` and ``GET /reviews/{id}``."""
    skip_senders: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Senders whose deliveries are skipped besides every ``type: Bot`` account
    (logins, comma-separated or a JSON list; ``dependabot[bot]`` is a bot already)."""

    max_body_bytes: int = Field(
        default=MAX_WEBHOOK_BYTES, ge=0, le=MAX_WEBHOOK_BYTES, validation_alias="max_body_bytes"
    )
    """Request bodies larger than this are refused with 413 (GitHub's own cap by default)."""

    # -- GitHub
    github_api_url: str = "https://api.github.com"
    github_token: SecretStr | None = None
    """A personal access token (fine-grained: pull requests read & write, contents read)."""
    github_app_id: int | None = Field(default=None, ge=1)
    github_private_key_file: Path | None = None
    """The App's private key (PEM), read when the worker starts."""
    github_timeout: float = Field(default=10.0, gt=0, le=120)
    github_max_retries: int = Field(default=3, ge=0, le=10)
    github_max_rate_limit_wait: float = Field(default=60.0, ge=0, le=3600)
    """The longest a rate-limited call waits for GitHub's reset before failing the review
    (which the jobs layer then delivers again later)."""

    data_dir: Path = Path(".backbone/review")
    """Where the worker keeps CrewAI's files."""

    # -- the review's caps
    max_files: int = Field(default=50, ge=1, le=3000)
    """Changed files reviewed at most (GitHub lists up to 3,000); the comment names the rest."""
    max_file_bytes: int = Field(default=512 * 1024, ge=1024, le=10 * 1024 * 1024)
    """A changed file larger than this is listed as skipped, not linted."""
    max_changed_lines: int = Field(default=5000, ge=1, le=1_000_000)
    """Changed lines reviewed at most, over all files, in the order GitHub lists them."""
    max_inline_comments: int = Field(default=20, ge=0, le=100)
    """Inline review comments posted at most (every finding is in the main comment)."""
    inline_comments: bool = True
    """Post a pull-request review with inline comments besides the one summary comment."""

    @field_validator("skip_senders", mode="before")
    @classmethod
    def _split_senders(cls, value: object) -> object:
        return env_list(value)

    @field_validator("github_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("github_api_url must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> Self:
        if (self.github_app_id is None) != (self.github_private_key_file is None):
            raise ValueError(
                "a GitHub App needs both BACKBONE_REVIEW_GITHUB_APP_ID and "
                "BACKBONE_REVIEW_GITHUB_PRIVATE_KEY_FILE"
            )
        return self

    @property
    def github_configured(self) -> bool:
        """True when a token or an App is configured."""
        return self.github_token is not None or self.github_app_id is not None


@lru_cache
def get_settings() -> ReviewSettings:
    """The review service's settings, read once."""
    return ReviewSettings()
