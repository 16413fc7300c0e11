"""The pure parts of the task body: reasons, database-error classification, lock keys."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from backbone.jobs._runner import is_database_error, lock_key, short_reason


def test_short_reason_is_one_line_with_the_type() -> None:
    """A reason is the exception's type and message on one line."""
    assert short_reason(ValueError("bad\n  value\tthere")) == "ValueError: bad value there"
    assert short_reason(KeyError()) == "KeyError"


def test_short_reason_is_bounded() -> None:
    """A long message is cut to 200 characters, marked with an ellipsis."""
    reason = short_reason(RuntimeError("x" * 1000))
    assert len(reason) == 200
    assert reason.startswith("RuntimeError: xxx")
    assert reason.endswith("...")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OperationalError("SELECT 1", {}, Exception("connection refused")), True),
        (InterfaceError("SELECT 1", {}, Exception("closed")), True),
        (DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
        (IntegrityError("INSERT", {}, Exception("duplicate")), False),
        (ValueError("not the database"), False),
    ],
)
def test_is_database_error(error: BaseException, expected: bool) -> None:
    """Only failures to reach the database mean 'retry later'; other errors fail the job."""
    assert is_database_error(error) is expected


def test_lock_key_is_a_stable_signed_bigint() -> None:
    """The advisory-lock key fits PostgreSQL's bigint, is stable, and differs between jobs."""
    keys = {lock_key(uuid.uuid4()) for _ in range(1000)}
    assert len(keys) == 1000
    assert all(-(2**63) <= key < 2**63 for key in keys)
    job = uuid.UUID("ffffffff-ffff-4fff-3fff-000000000000")  # halves XOR to a top bit set
    assert lock_key(job) == lock_key(uuid.UUID(str(job))) < 0
