"""The fake GitHub: a small GitHub REST API for the review service's tests and demo.

Run with ``uvicorn --factory backbone.mocks.github:create_app --port 9004``. Settings:
:class:`~backbone.mocks.github.config.GitHubFakeSettings` (``BACKBONE_GITHUB_FAKE_*``);
the seeded pull request and its known ruff findings: :mod:`backbone.mocks.github.seed`.
"""

from backbone.mocks.github.main import create_app

__all__ = ["create_app"]
