"""Submitting is all or nothing: the order of insert, publish and commit, with fakes."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, Uuid

from backbone.jobs import (
    BrokerUnavailable,
    DatabaseUnavailable,
    IdempotencyKey,
    IdempotencyKeyReused,
    JobQueue,
    JobStore,
    Submitted,
    submit_job,
    submit_or_replay,
)
from backbone.jobs._celery import revoke

TASK = "tests.jobs.task"
TABLE = Table(
    "fake_jobs", MetaData(), Column("id", Uuid, primary_key=True), Column("title", String)
)


class FakeTransaction:
    """Records begin / commit / rollback in the shared event list; fails on demand."""

    def __init__(self, connection: FakeConnection) -> None:
        self.connection = connection

    async def start(self) -> None:
        await self.connection.step("begin")

    async def commit(self) -> None:
        await self.connection.step("commit")

    async def rollback(self) -> None:
        await self.connection.step("rollback")


class FakeConnection:
    """Records what is sent in a shared event list; fails on demand."""

    def __init__(self, events: list[str], fail: dict[str, Exception]) -> None:
        self.events = events
        self.fail = fail
        self.inserted: list[tuple[str, tuple[Any, ...]]] = []
        self.existing: dict[str, Any] | None = None
        """The row a key already names (its INSERT then does nothing)."""
        self.looked_up: list[tuple[str, tuple[Any, ...]]] = []

    async def step(self, name: str) -> None:
        self.events.append(name)
        if name in self.fail:
            raise self.fail[name]

    def transaction(self) -> FakeTransaction:
        return FakeTransaction(self)

    async def execute(self, statement: str, *values: Any) -> None:
        assert statement.startswith("INSERT INTO")
        self.inserted.append((statement, values))
        await self.step("insert")

    async def fetchval(self, statement: str, *values: Any) -> Any:
        assert statement.startswith("INSERT INTO")
        self.inserted.append((statement, values))
        await self.step("insert")
        return None if self.existing is not None else values[0]

    async def fetchrow(self, statement: str, *values: Any) -> dict[str, Any] | None:
        assert statement.startswith("SELECT")
        self.looked_up.append((statement, values))
        await self.step("lookup")
        return self.existing


class FakeStore(JobStore):
    """A JobStore whose one connection is a FakeConnection (``connect`` can fail)."""

    def __init__(self, events: list[str], fail: dict[str, Exception] | None = None) -> None:
        super().__init__(TABLE, "postgresql://nobody@127.0.0.1:1/none")
        self.events = events
        self.fail = fail or {}
        self.fake = FakeConnection(events, self.fail)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        if "connect" in self.fail:
            self.events.append("connect")
            raise self.fail["connect"]
        yield self.fake


class FakeControl:
    def __init__(self, events: list[str], error: Exception | None) -> None:
        self.events = events
        self.error = error

    def revoke(self, task_id: str) -> None:
        self.events.append(f"revoke {task_id}")
        if self.error is not None:
            raise self.error


class FakeCelery:
    """Records publishes (and revokes) in the shared event list; fails on demand."""

    def __init__(self, events: list[str], error: Exception | None = None) -> None:
        self.events = events
        self.error = error
        self.sent: list[dict[str, Any]] = []
        self.control = FakeControl(events, error)

    def send_task(self, name: str, **options: Any) -> None:
        self.events.append("publish")
        self.sent.append({"name": name, **options})
        if self.error is not None:
            raise self.error


async def _submit(store: FakeStore, celery: FakeCelery) -> uuid.UUID:
    queue = JobQueue("tests", celery, TASK, "jobs")  # type: ignore[arg-type]
    return await submit_job(store=store, queue=queue, owner=None, title="Q3")


async def test_insert_publish_commit_in_that_order() -> None:
    """The INSERT is sent, then the message published, then the transaction committed."""
    events: list[str] = []
    celery = FakeCelery(events)
    store = FakeStore(events)
    job_id = await _submit(store, celery)
    assert events == ["begin", "insert", "publish", "commit"]
    ((statement, values),) = store.fake.inserted
    assert '"title"' in statement
    assert "'pending'" in statement
    assert values[:2] == (job_id, None)  # the id, no owner
    assert values[-1] == "Q3"
    assert celery.sent == [
        {
            "name": TASK,
            "args": [str(job_id)],
            "task_id": str(job_id),
            "queue": "jobs",
            "retry": False,
        }
    ]


@pytest.mark.parametrize("step", ["connect", "insert"])
async def test_database_down_publishes_nothing(step: str) -> None:
    """No connection, or an INSERT that cannot reach the database: stop before the publish."""
    events: list[str] = []
    store = FakeStore(events, {step: ConnectionRefusedError("refused")})
    with pytest.raises(DatabaseUnavailable):
        await _submit(store, FakeCelery(events))
    expected = {"connect": ["connect"], "insert": ["begin", "insert", "rollback"]}
    assert events == expected[step]


async def test_broker_down_rolls_back() -> None:
    """A failed publish rolls the transaction back and never commits."""
    events: list[str] = []
    with pytest.raises(BrokerUnavailable):
        await _submit(FakeStore(events), FakeCelery(events, ConnectionError("down")))
    assert events == ["begin", "insert", "publish", "rollback"]


async def test_broker_down_and_rollback_failing_is_still_the_broker() -> None:
    """If the rollback fails too (connection gone), the answer is still about the broker."""
    events: list[str] = []
    store = FakeStore(events, {"rollback": OSError("connection lost")})
    with pytest.raises(BrokerUnavailable):
        await _submit(store, FakeCelery(events, ConnectionError("down")))
    assert "commit" not in events


async def test_commit_failing_after_publish_is_database_unavailable() -> None:
    """A commit that fails after the publish is a 503 (the worker drops the orphan message)."""
    events: list[str] = []
    store = FakeStore(events, {"commit": TimeoutError()})
    with pytest.raises(DatabaseUnavailable):
        await _submit(store, FakeCelery(events))
    assert events == ["begin", "insert", "publish", "commit"]


def test_revoke_sends_the_job_id() -> None:
    """revoke() asks Celery to revoke the task named by the job id."""
    events: list[str] = []
    job_id = uuid.uuid4()
    assert revoke(FakeCelery(events), job_id) is True  # type: ignore[arg-type]
    assert events == [f"revoke {job_id}"]


def test_revoke_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    """A broker that cannot take the revoke is a warning: the row is already cancelled."""
    job_id = uuid.uuid4()
    with caplog.at_level(logging.WARNING):
        sent = revoke(FakeCelery([], ConnectionError("down")), job_id)  # type: ignore[arg-type]
    assert sent is False
    assert f"job_revoke_failed job_id={job_id}" in caplog.text


KEY = IdempotencyKey.of("retry-me", {"title": "Q3"})


async def _submit_once(
    store: FakeStore, celery: FakeCelery, key: IdempotencyKey = KEY, owner: uuid.UUID | None = None
) -> Submitted:
    queue = JobQueue("tests", celery, TASK, "jobs")  # type: ignore[arg-type]
    return await submit_or_replay(
        store=store, queue=queue, owner=owner, idempotency_key=key, title="Q3"
    )


async def test_a_new_key_inserts_publishes_and_commits() -> None:
    """A key never used: the keyed INSERT, the publish, the commit; not a replay."""
    events: list[str] = []
    celery, store = FakeCelery(events), FakeStore(events)
    owner = uuid.uuid4()
    submitted = await _submit_once(store, celery, owner=owner)
    assert submitted.replayed is False
    assert events == ["begin", "insert", "publish", "commit"]
    ((statement, values),) = store.fake.inserted
    assert "ON CONFLICT (idempotency_key, owner_id) WHERE idempotency_key IS NOT NULL" in statement
    assert statement.endswith("DO NOTHING RETURNING id")
    assert values[:2] == (submitted.job_id, owner)
    assert (KEY.key, KEY.fingerprint) == values[3:5]
    assert celery.sent[0]["task_id"] == str(submitted.job_id)


async def test_a_used_key_with_the_same_request_replays_without_publishing() -> None:
    """The key's job exists with the same fingerprint: its id, replayed; nothing sent."""
    events: list[str] = []
    celery, store = FakeCelery(events), FakeStore(events)
    earlier = uuid.uuid4()
    store.fake.existing = {"id": earlier, "idempotency_hash": KEY.fingerprint}
    assert await _submit_once(store, celery) == Submitted(earlier, replayed=True)
    assert events == ["begin", "insert", "lookup", "rollback"]
    assert celery.sent == []
    ((statement, values),) = store.fake.looked_up
    assert "owner_id IS NOT DISTINCT FROM $2" in statement
    assert values == (KEY.key, None)


async def test_a_used_key_with_another_request_is_refused() -> None:
    """The key's job was asked with another request: IdempotencyKeyReused, rolled back."""
    events: list[str] = []
    celery, store = FakeCelery(events), FakeStore(events)
    store.fake.existing = {"id": uuid.uuid4(), "idempotency_hash": "0" * 64}
    with pytest.raises(IdempotencyKeyReused, match="another request"):
        await _submit_once(store, celery)
    assert events == ["begin", "insert", "lookup", "rollback"]
    assert celery.sent == []


async def test_a_replay_reports_the_job_id_only() -> None:
    """submit_job with a used key gives the earlier job's id, as a first submit would."""
    events: list[str] = []
    store = FakeStore(events)
    earlier = uuid.uuid4()
    store.fake.existing = {"id": earlier, "idempotency_hash": KEY.fingerprint}
    queue = JobQueue("tests", FakeCelery(events), TASK, "jobs")  # type: ignore[arg-type]
    job_id = await submit_job(store=store, queue=queue, owner=None, idempotency_key=KEY, title="Q3")
    assert job_id == earlier


async def test_a_keyed_submit_whose_broker_is_down_keeps_nothing() -> None:
    """A failed publish rolls the keyed row back too: a retry with the key submits anew."""
    events: list[str] = []
    with pytest.raises(BrokerUnavailable):
        await _submit_once(FakeStore(events), FakeCelery(events, ConnectionError("down")))
    assert events == ["begin", "insert", "publish", "rollback"]


async def test_a_key_whose_row_vanished_meanwhile_is_tried_again() -> None:
    """A conflict, then no row (deleted in between): the INSERT is tried once more."""
    events: list[str] = []
    store = FakeStore(events)
    fake = store.fake
    fake.existing = {"id": uuid.uuid4(), "idempotency_hash": KEY.fingerprint}

    async def vanished(statement: str, *values: Any) -> None:
        fake.existing = None
        events.append("lookup")

    fake.fetchrow = vanished  # type: ignore[method-assign]
    submitted = await _submit_once(store, FakeCelery(events))
    assert submitted.replayed is False
    assert events == ["begin", "insert", "lookup", "insert", "publish", "commit"]
