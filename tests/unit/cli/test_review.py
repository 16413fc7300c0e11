"""`backbone review pr`: what it refuses before reaching GitHub."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from backbone.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """No GitHub credentials from the environment or a .env (the test runs in tmp_path)."""
    for name in (
        "BACKBONE_REVIEW_GITHUB_TOKEN",
        "BACKBONE_REVIEW_GITHUB_APP_ID",
        "BACKBONE_REVIEW_GITHUB_PRIVATE_KEY_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]


def test_without_credentials_it_names_the_variables() -> None:
    """No token and no App: exit 1 with the variables to set, nothing sent."""
    result = runner.invoke(app, ["review", "pr", "octo-org/hello-world", "1", "--dry-run"])
    assert result.exit_code == 1
    assert "BACKBONE_REVIEW_GITHUB_TOKEN" in result.output


@pytest.mark.parametrize("repository", ["octo-org", "octo/../x", "a/b/c", "/etc/passwd"])
def test_a_repository_that_is_not_owner_slash_name_is_refused(repository: str) -> None:
    """Anything but OWNER/REPO: exit 1 before any setting is read."""
    result = runner.invoke(app, ["review", "pr", repository, "1"])
    assert result.exit_code == 1
    assert "backbone review:" in result.output


def test_the_number_must_be_positive() -> None:
    """Pull request 0 is a usage error (exit 2)."""
    result = runner.invoke(app, ["review", "pr", "octo-org/hello-world", "0"])
    assert result.exit_code == 2
