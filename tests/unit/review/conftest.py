"""Fixtures of the GitHub client's unit tests: the stub GitHub, the recorded sleeps, and
a client of the stub that sleeps through them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backbone.review.github import GitHubClient
from tests.unit.review._github_stub import GitHubStub, Sleeps, make_client


@pytest.fixture
def stub() -> GitHubStub:
    """An in-memory GitHub on httpx.MockTransport."""
    return GitHubStub()


@pytest.fixture
def sleeps() -> Sleeps:
    """The waits a client asked for (none really taken)."""
    return Sleeps()


@pytest.fixture
async def client(stub: GitHubStub, sleeps: Sleeps) -> AsyncIterator[GitHubClient]:
    """A token-authenticated client of ``stub``."""
    async with make_client(stub, sleeps) as client:
        yield client
