"""Passwords: the policy they must meet, and their Argon2id hashes.

Hashing and verifying are slow on purpose (tens of milliseconds, tens of MiB), so they
run in threads, at most ``concurrency`` at once per process, and the event loop keeps
serving. A login for an unknown email still verifies a password, against a dummy hash
made with the same parameters: both failures take the same time, and the answer's
timing does not tell which emails have accounts.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "Passwords", "Verified", "password_problem"]

MIN_PASSWORD = 12
MAX_PASSWORD = 128


def password_problem(password: str, *, email: str) -> str | None:
    """Why ``password`` may not be used by ``email``'s account, or None when it may."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"The password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long."
    if password.strip().casefold() == email.strip().casefold():
        return "The password may not be the email."
    return None


@dataclass(frozen=True, slots=True)
class Verified:
    """The outcome of a verification: did it match, and the new hash if it must be redone."""

    ok: bool
    new_hash: str | None = None


class Passwords:
    """Argon2id hashing with fixed parameters, off the event loop."""

    def __init__(
        self, *, time_cost: int, memory_kib: int, parallelism: int, concurrency: int = 8
    ) -> None:
        self.hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._slots = asyncio.Semaphore(concurrency)
        # Made once, so that verifying for an unknown email costs what a real one does.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        """The Argon2id hash of ``password`` (PHC string, salt and parameters included)."""
        async with self._slots:
            return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> Verified:
        """Check ``password`` against ``password_hash`` (None: an unknown account, never ok).

        When it matches but the hash was made with other parameters, ``new_hash`` is
        the password hashed with the current ones, to be stored.
        """
        async with self._slots:
            return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> Verified:
        try:
            self.hasher.verify(password_hash or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return Verified(ok=False)
        if password_hash is None:
            return Verified(ok=False)  # the dummy matched: only by a 2^-128 chance
        if self.hasher.check_needs_rehash(password_hash):
            return Verified(ok=True, new_hash=self.hasher.hash(password))
        return Verified(ok=True)
