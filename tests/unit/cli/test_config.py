"""Ports, ``.env`` and URL masking for ``backbone up``."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbone.cli._config import ConfigError, load_environment, mask_url, resolve_ports


def test_defaults_plus_offset() -> None:
    """Without overrides each name gets its default port plus the offset."""
    ports = resolve_ports(["redis", "postgres", "flaky"], {}, offset=100)
    assert ports == {"redis": 6480, "postgres": 5533, "flaky": 9103}


def test_environment_wins_over_the_offset() -> None:
    """BACKBONE_<NAME>_PORT sets a port exactly, whatever the offset."""
    ports = resolve_ports(["flaky", "redis"], {"BACKBONE_FLAKY_PORT": " 18003 "}, offset=5)
    assert ports == {"flaky": 18003, "redis": 6385}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BACKBONE_FLAKY_PORT": "abc"}, "BACKBONE_FLAKY_PORT='abc' is not a port number"),
        ({"BACKBONE_FLAKY_PORT": "70000"}, "out of range"),
        ({"BACKBONE_FLAKY_PORT": "6380"}, "redis and flaky on 6380"),
    ],
)
def test_bad_ports_are_clear_errors(env: dict[str, str], message: str) -> None:
    """A non-number, out-of-range or shared port is refused with a message saying which."""
    with pytest.raises(ConfigError, match=message):
        resolve_ports(["redis", "flaky"], env)


def test_env_file_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values come from .env unless the process environment sets them too."""
    env_file = tmp_path / ".env"
    env_file.write_text("BB_TEST_FROM_FILE=file\nBB_TEST_BOTH=file\n")
    monkeypatch.setenv("BB_TEST_BOTH", "environment")
    env = load_environment(env_file)
    assert env["BB_TEST_FROM_FILE"] == "file"
    assert env["BB_TEST_BOTH"] == "environment"
    assert "BB_TEST_FROM_FILE" not in load_environment(tmp_path / "missing.env")


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://app:s3cret@db:5432/app", "postgresql://app:***@db:5432/app"),
        ("redis://:pw@localhost:6379/0", "redis://:***@localhost:6379/0"),
        (
            "postgresql://postgres@127.0.0.1:5433/postgres",
            "postgresql://postgres@127.0.0.1:5433/postgres",
        ),
    ],
)
def test_passwords_are_masked(url: str, masked: str) -> None:
    """Printed URLs never show a password."""
    assert mask_url(url) == masked
