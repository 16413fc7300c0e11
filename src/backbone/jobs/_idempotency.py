"""Idempotency keys: one job per key and request, however often the request comes.

A client that may send a submit twice (a retry after a timeout, a redelivered message)
names it with a key of its choosing (the ``Idempotency-Key`` header: the IETF draft
"The Idempotency-Key HTTP Header Field", as Stripe uses it). The job's row keeps the
key and a fingerprint of the request; a unique index on ``(idempotency_key, owner_id)``
(``NULLS NOT DISTINCT``: a service without users has one global scope) lets exactly
one row have a key, whoever wins a race, and the others find that row and replay it.

The fingerprint is a SHA-256 of the request as canonical JSON (members sorted, no
whitespace, UTF-8), so the same request written differently is the same request; the
caller chooses what "the request" is (the validated body, say, not a request id that
changes with every retry). A key lives as long as its row.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Final, Self

__all__ = ["KEY_PATTERN", "KEY_REUSED", "MAX_KEY_LENGTH", "IdempotencyKey", "fingerprint"]

KEY_PATTERN: Final = "^[!-~]([ -~]*[!-~])?$"
"""Printable ASCII, no space at either end (HTTP drops those from a header's value)."""
MAX_KEY_LENGTH: Final = 255
KEY_REUSED: Final = "tag:backbone,2026:problem/idempotency-key-reused"
"""The problem type of the 422 for a key used before with another request."""
_KEY = re.compile(KEY_PATTERN)
_DIGEST = re.compile("[0-9a-f]{64}")


def fingerprint(request: Any) -> str:
    """The SHA-256 (hex) of ``request`` as canonical JSON; ValueError/TypeError if it
    is not JSON (NaN, or a value JSON has no form for)."""
    try:
        text = json.dumps(
            request, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as exc:
        raise ValueError(f"the request is not JSON: {exc}") from exc
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A client's key for one submit, and the fingerprint of what it asked for."""

    key: str
    fingerprint: str

    def __post_init__(self) -> None:
        if len(self.key) > MAX_KEY_LENGTH or _KEY.fullmatch(self.key) is None:
            raise ValueError(
                f"an Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters,"
                " not starting or ending with a space"
            )
        if _DIGEST.fullmatch(self.fingerprint) is None:
            raise ValueError("the fingerprint is a SHA-256 digest in lower-case hex")

    @classmethod
    def of(cls, key: str, request: Any) -> Self:
        """The key ``key`` for ``request`` (any JSON value), fingerprinted."""
        return cls(key, fingerprint(request))
