"""The ``assistant`` fixture: the CLI against a fake assistant API, in a private config dir."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from backbone.cli import app
from backbone.cli._assistant import AssistantClient
from backbone.cli._credentials import Credentials, CredentialStore
from tests.unit.cli._assistant_fake import NOW, URL, FakeAssistant


@dataclass(frozen=True)
class Outcome:
    """What a command did: its exit code, stdout, stderr, and any exception it raised."""

    code: int
    out: str
    err: str
    exception: BaseException | None


@dataclass
class AssistantCli:
    """Runs ``backbone assistant ...`` against :attr:`api`; the clock stands still at NOW."""

    api: FakeAssistant
    config: Path
    now: float = NOW
    sleeps: list[float] = field(default_factory=list)

    @property
    def store(self) -> CredentialStore:
        """The credentials file the commands use (from XDG_CONFIG_HOME)."""
        return CredentialStore(self.config / "backbone" / "assistant.json")

    def logged_in(self, *, expires_at: float | None = None) -> Credentials:
        """Store a login the fake API honours, as `login` would."""
        pair = self.api.issue()
        credentials = Credentials.from_pair(pair, url=URL, email="ada@example.com", now=self.now)
        if expires_at is not None:
            credentials = Credentials(
                credentials.url,
                credentials.email,
                credentials.access_token,
                credentials.refresh_token,
                expires_at,
            )
        self.store.save(credentials)
        return credentials

    def run(self, *args: str, stdin: str | None = None) -> Outcome:
        """Run one command; the console's output and stdout together as ``out``."""
        out = io.StringIO()
        deps = AssistantClient(
            transport=httpx.MockTransport(self.api),
            sleep=self.sleeps.append,
            clock=lambda: self.now,
            console=Console(file=out, width=200, markup=False),
        )
        result = CliRunner().invoke(app, ["assistant", *args], obj=deps, input=stdin)
        return Outcome(
            result.exit_code, out.getvalue() + result.stdout, result.stderr, result.exception
        )


@pytest.fixture
def assistant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AssistantCli:
    """The CLI against a fresh fake API, with its config under ``tmp_path``."""
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.delenv("BACKBONE_ASSISTANT_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return AssistantCli(api=FakeAssistant(), config=config)
