"""Where ``backbone assistant`` keeps its tokens: one JSON file only its owner can read.

The file is ``$XDG_CONFIG_HOME/backbone/assistant.json`` (``~/.config/backbone/`` when
``XDG_CONFIG_HOME`` is unset or not absolute). Its directory is made 0700; the file is
written to a temporary file created 0600 in the same directory, flushed to disk and
moved into place with :func:`os.replace`: a reader never sees half a file, and the
tokens are never readable by anyone else, not even for a moment.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EXPIRY_LEEWAY", "CredentialStore", "Credentials", "CredentialsError", "config_path"]

EXPIRY_LEEWAY = 10.0
"""Seconds before its expiry an access token is treated as expired (clock skew, latency)."""


class CredentialsError(Exception):
    """The stored credentials cannot be read or are not what this CLI wrote."""


@dataclass(frozen=True)
class Credentials:
    """The tokens of one login, the API they are for, and when the access token expires."""

    url: str
    email: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float

    @classmethod
    def from_pair(cls, pair: Mapping[str, Any], *, url: str, email: str, now: float) -> Credentials:
        """The credentials of a ``TokenPair`` answer received at ``now`` (epoch seconds)."""
        access, refresh, expires_in = (
            pair.get("access_token"),
            pair.get("refresh_token"),
            pair.get("expires_in"),
        )
        if not (isinstance(access, str) and isinstance(refresh, str)):
            raise CredentialsError("the token answer has no access_token or refresh_token")
        if not isinstance(expires_in, int) or isinstance(expires_in, bool):
            raise CredentialsError("the token answer's expires_in is not an integer")
        return cls(url, email, access, refresh, now + expires_in)

    def expired(self, now: float) -> bool:
        """Whether the access token is expired (or about to be) at ``now``."""
        return now >= self.expires_at - EXPIRY_LEEWAY


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The credentials file of the user (``env`` defaults to the process environment)."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "backbone" / "assistant.json"


@dataclass(frozen=True)
class CredentialStore:
    """Reads, writes and deletes the credentials file at ``path``."""

    path: Path

    def load(self) -> Credentials | None:
        """The stored credentials, or None when there are none."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            credentials = Credentials(
                url=str(data["url"]),
                email=str(data["email"]),
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_at=float(data["expires_at"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CredentialsError(f"cannot read {self.path}: {exc}") from exc
        return credentials

    def save(self, credentials: Credentials) -> None:
        """Store ``credentials`` (directory 0700, file 0600, replaced atomically)."""
        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
        fd, temporary = tempfile.mkstemp(prefix=".assistant-", suffix=".tmp", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(asdict(credentials), file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def delete(self) -> bool:
        """Delete the stored credentials; whether there were any."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True
