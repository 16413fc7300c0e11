"""Idempotency keys: what a key may be, and the fingerprint that tells two requests apart."""

from __future__ import annotations

import re

import pytest

from backbone.jobs import KEY_PATTERN, MAX_KEY_LENGTH, IdempotencyKey, fingerprint

VALID_KEYS = [
    "a",
    "8e03978e-40d5-43e8-bc93-6894a57f9324",
    "task:1f2e/action:3",
    "with inner spaces",
    '"sf-string"',
    "~" * 255,
]
INVALID_KEYS = [
    "",
    " leading",
    "trailing ",
    " ",
    "x" * 256,
    "tab\there",
    "new\nline",
    "nul\x00",
    "del\x7f",
    "caf\u00e9",
    "\u2603",
]


@pytest.mark.parametrize("key", VALID_KEYS)
def test_printable_ascii_keys_up_to_255_are_accepted(key: str) -> None:
    """1-255 printable ASCII characters, no space at either end, make a key."""
    assert IdempotencyKey.of(key, {}).key == key
    assert re.fullmatch(KEY_PATTERN, key)


@pytest.mark.parametrize("key", INVALID_KEYS)
def test_other_keys_are_refused(key: str) -> None:
    """Empty, too long, control or non-ASCII characters, edge spaces: ValueError."""
    with pytest.raises(ValueError, match="Idempotency-Key"):
        IdempotencyKey.of(key, {})
    assert len(key) > MAX_KEY_LENGTH or re.fullmatch(KEY_PATTERN, key) is None


def test_the_pattern_is_what_the_contract_says() -> None:
    """The route's pattern and the contract's are one string (the contract is first)."""
    assert KEY_PATTERN == "^[!-~]([ -~]*[!-~])?$"


def test_a_fingerprint_ignores_member_order_and_spacing() -> None:
    """Two equal requests written differently have one fingerprint (SHA-256, hex)."""
    one = fingerprint({"title": "Q3", "options": {"a": 1, "b": [1, 2]}})
    other = fingerprint({"options": {"b": [1, 2], "a": 1}, "title": "Q3"})
    assert one == other
    assert re.fullmatch(r"[0-9a-f]{64}", one)


@pytest.mark.parametrize(
    "other",
    [{"title": "Q4"}, {"title": "Q3", "extra": None}, {}, {"title": "q3"}, ["Q3"], "Q3"],
)
def test_a_fingerprint_tells_different_requests_apart(other: object) -> None:
    """Any change of value, member, case or shape changes the fingerprint."""
    assert fingerprint({"title": "Q3"}) != fingerprint(other)


def test_a_fingerprint_of_non_ascii_text_is_stable() -> None:
    """Non-ASCII text hashes as UTF-8, the same however it was escaped on the wire."""
    assert fingerprint({"title": "Q3 \u2713"}) == fingerprint({"title": "Q3 ✓"})


def test_a_fingerprint_refuses_what_json_cannot_say() -> None:
    """NaN and objects JSON has no form for are refused, not silently stringified."""
    with pytest.raises(ValueError, match="JSON"):
        fingerprint({"x": float("nan")})
    with pytest.raises(TypeError):
        fingerprint({"x": object()})


def test_a_key_checks_its_fingerprint() -> None:
    """A key built by hand with something that is not a SHA-256 hex digest is refused."""
    with pytest.raises(ValueError, match="fingerprint"):
        IdempotencyKey("k", "not-a-digest")
