"""Passwords: the policy, Argon2id hashes made off the loop, rehash and unknown-account paths."""

from __future__ import annotations

import pytest

from backbone.assistant.auth.passwords import Passwords, password_problem

FAST = {"time_cost": 1, "memory_kib": 1024, "parallelism": 1}


@pytest.fixture
def passwords() -> Passwords:
    """A cheap hasher (the parameters are not what is tested)."""
    return Passwords(**FAST)


@pytest.mark.parametrize(
    ("password", "allowed"),
    [("x" * 11, False), ("x" * 12, True), ("x" * 128, True), ("x" * 129, False)],
)
def test_passwords_are_12_to_128_characters(password: str, allowed: bool) -> None:
    """The length bounds are inclusive: 12 and 128 pass, 11 and 129 do not."""
    assert (password_problem(password, email="a@example.com") is None) is allowed


def test_a_password_may_not_be_the_email() -> None:
    """The email itself, in any case and with spaces around, is refused."""
    assert password_problem(" LONG.EMAIL@Example.com ", email="long.email@example.com")


async def test_hash_is_argon2id_and_verifies(passwords: Passwords) -> None:
    """A hash is an Argon2id PHC string; the right password verifies, a wrong one does not."""
    hashed = await passwords.hash("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert (await passwords.verify(hashed, "correct horse battery")).ok
    assert not (await passwords.verify(hashed, "wrong horse battery")).ok


async def test_two_hashes_of_one_password_differ(passwords: Passwords) -> None:
    """Each hash has its own salt."""
    assert await passwords.hash("same password!") != await passwords.hash("same password!")


async def test_an_unknown_account_never_verifies(passwords: Passwords) -> None:
    """No stored hash (unknown email): verified against the dummy, and never ok."""
    assert not (await passwords.verify(None, "anything at all")).ok


async def test_a_garbled_hash_does_not_verify(passwords: Passwords) -> None:
    """A stored value that is no Argon2 hash is a failed verification, not an error."""
    assert not (await passwords.verify("not-a-hash", "anything at all")).ok


async def test_old_parameters_are_rehashed(passwords: Passwords) -> None:
    """A hash made with other parameters verifies, with a new hash made with the current ones."""
    old = await Passwords(time_cost=2, memory_kib=1024, parallelism=1).hash("pass phrase!")
    verified = await passwords.verify(old, "pass phrase!")
    assert verified.ok
    assert verified.new_hash is not None
    assert ",t=1," in verified.new_hash
    current = await passwords.hash("pass phrase!")
    assert (await passwords.verify(current, "pass phrase!")).new_hash is None
