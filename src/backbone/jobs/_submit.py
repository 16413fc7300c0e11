"""What an API does with a job: submit it, cancel it, approve its plan — all or nothing.

**Submitting** is one transaction around the publish: the row is inserted (and the
INSERT sent, so an unreachable database fails here, before anything is published),
the message is published, and only then is the transaction committed.

- database unreachable → :class:`DatabaseUnavailable`, nothing published (503);
- broker unreachable → the transaction is rolled back, :class:`BrokerUnavailable`
  (503): no row without a message.

The message is therefore published *before* the row is committed, and the worker
allows for it: a delivery that finds no row looks again for a short while before it
gives up (a commit that failed after the publish leaves a message whose row never
appears, which the worker then acknowledges and drops). Either way no job runs without
a row, and no row stays pending without a message. **Approving** a plan is the same
transaction around the same publish, on the job's existing row.

**With an idempotency key** (:func:`submit_or_replay`) the INSERT does nothing when the
owner's key is taken; the submit then reads the key's job in the same transaction and
answers with it (a replay: nothing published, the transaction rolled back), or raises
:class:`IdempotencyKeyReused` when that job was asked for with another request. A row
is only ever committed after its message was published, so a replay has nothing to
publish again: a message lost later is the reconciler's to publish again, as for any
job. A submit that failed (503) committed nothing, so its retry with the same key
submits the job anew; and a commit that failed after the publish leaves the key free
as well (the orphan message is dropped as above). Concurrent submits with one key wait
on the unique index for the first one's transaction: committed, they replay it; rolled
back (its broker was down), one of them takes the key.

**Rejecting** a plan is one conditional UPDATE (awaiting approval → cancelled, with the
reason as the job's error); nothing was published for it, so nothing is revoked.

**Cancelling** marks the row cancelled with one conditional UPDATE, then revokes the
task (best effort: a worker also checks the row before and while it works).

A Redis broker is published to over asyncio (:mod:`backbone.jobs._publish`); any other
through kombu, which blocks, in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from celery import Celery

from backbone.core.problems import ProblemError
from backbone.jobs._celery import enqueue, revoke
from backbone.jobs._errors import IdempotencyKeyReused
from backbone.jobs._idempotency import IdempotencyKey
from backbone.jobs._publish import RedisPublisher
from backbone.jobs._states import JobState
from backbone.jobs._store import CANCEL_REASON, JobRow, JobStore, Owner, reaching

__all__ = [
    "JobQueue",
    "Submitted",
    "approve_job",
    "cancel_job",
    "find_job",
    "reject_job",
    "submit_job",
    "submit_or_replay",
]

logger = logging.getLogger(__name__)

_KEY_ATTEMPTS = 3
"""INSERTs a keyed submit tries when the key's row goes away between its conflict and its
read (only a deleted job does that)."""


@dataclass(frozen=True, slots=True)
class JobQueue:
    """Where a job kind's jobs are published: its Celery app, task name and queue (and, for
    a Redis broker, the publisher that needs no thread)."""

    kind: str
    celery: Celery
    task: str
    queue: str
    redis: RedisPublisher | None = None

    async def publish(self, job_id: uuid.UUID) -> None:
        """Publish the job's message; :class:`BrokerUnavailable` on failure."""
        if self.redis is not None:
            await self.redis.publish(self.task, job_id)
        else:
            await asyncio.to_thread(enqueue, self.celery, self.task, job_id, queue=self.queue)

    async def revoke(self, job_id: uuid.UUID) -> None:
        """Ask the workers not to run the job (best effort, in a thread)."""
        await asyncio.to_thread(revoke, self.celery, job_id)


@reaching
async def _write_then_publish(
    store: JobStore,
    queue: JobQueue,
    write: Callable[[asyncpg.Connection], Awaitable[uuid.UUID | None]],
) -> uuid.UUID | None:
    """``write`` (which names the job to publish, or None for nothing) and the publish, in
    one transaction: committed only once the message is out; rolled back otherwise."""
    async with store.connection() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            job_id = await write(conn)
            if job_id is not None:
                await queue.publish(job_id)
        except BaseException:
            # A connection that broke meanwhile cannot roll back; the server drops the
            # uncommitted row with the connection anyway.
            with contextlib.suppress(Exception):
                await transaction.rollback()
            raise
        if job_id is None:
            await transaction.rollback()
        else:
            await transaction.commit()
    return job_id


@dataclass(frozen=True, slots=True)
class Submitted:
    """What a submit did: the job's id, and whether it is an earlier job's (a replay)."""

    job_id: uuid.UUID
    replayed: bool = False


async def submit_job(
    *,
    store: JobStore,
    queue: JobQueue,
    owner: uuid.UUID | None,
    idempotency_key: IdempotencyKey | None = None,
    **payload: Any,
) -> uuid.UUID:
    """Record the job and publish it, all or nothing (see the module docstring); its id
    (with a used key, the key's job's: see :func:`submit_or_replay`)."""
    submitted = await submit_or_replay(
        store=store, queue=queue, owner=owner, idempotency_key=idempotency_key, **payload
    )
    return submitted.job_id


async def submit_or_replay(
    *,
    store: JobStore,
    queue: JobQueue,
    owner: uuid.UUID | None,
    idempotency_key: IdempotencyKey | None = None,
    **payload: Any,
) -> Submitted:
    """Record the job and publish it, all or nothing, unless ``owner`` has used the key:
    then the key's job, replayed, or :class:`IdempotencyKeyReused` when it was asked for
    with another request (see the module docstring)."""
    key = idempotency_key
    earlier: list[uuid.UUID] = []

    async def insert(conn: asyncpg.Connection) -> uuid.UUID | None:
        if key is None:
            return await store.insert(conn, owner=owner, **payload)
        for _ in range(_KEY_ATTEMPTS):
            job_id = await store.insert_keyed(conn, owner=owner, key=key, **payload)
            if job_id is not None:
                return job_id
            row = await store.find_key(conn, owner=owner, key=key.key)
            if row is None:
                continue  # deleted since the conflict: the key is free again
            if row["idempotency_hash"] != key.fingerprint:
                raise IdempotencyKeyReused(
                    "The Idempotency-Key was used before with another request;"
                    " a new request needs a new key."
                )
            earlier.append(row["id"])
            return None  # the earlier job: nothing to publish, nothing to commit
        raise RuntimeError(f"the idempotency key's job kept vanishing ({_KEY_ATTEMPTS} tries)")

    job_id = await _write_then_publish(store, queue, insert)
    if job_id is None:
        logger.info("job_submit_replayed kind=%s job_id=%s", queue.kind, earlier[0])
        return Submitted(earlier[0], replayed=True)
    return Submitted(job_id)


async def find_job(*, store: JobStore, job_id: uuid.UUID, owner: Owner) -> JobRow:
    """The job with this id; 404 when there is none, or it is another owner's."""
    job = await store.get(job_id, owner=owner)
    if job is None:
        raise ProblemError(404, detail=f"No job has id {job_id}.")
    return job


async def cancel_job(
    *,
    store: JobStore,
    queue: JobQueue,
    job_id: uuid.UUID,
    owner: Owner,
    reason: str = CANCEL_REASON,
) -> JobRow:
    """Cancel a job that may still be (a cancelled one stays so), ``reason`` as its error;
    404, or 409 when final."""
    job = await store.cancel(job_id, owner=owner, reason=reason)
    if job is None:
        current = await find_job(store=store, job_id=job_id, owner=owner)
        if current.state != JobState.CANCELLED:
            raise ProblemError(
                409, detail=f"The job is {current.state}: it can no longer be cancelled."
            )
        return current
    logger.info("job_cancelled kind=%s job_id=%s", queue.kind, job_id)
    await queue.revoke(job_id)
    return job


async def approve_job(
    *, store: JobStore, queue: JobQueue, job_id: uuid.UUID, owner: Owner, **columns: Any
) -> JobRow:
    """Approve a job's plan and publish it again, all or nothing; 404, or 409 unless awaiting.

    ``columns`` of the kind's own (what was approved, when only part of the plan was) are
    set by the same statement that approves: the run that acts reads them in its row.
    """

    async def approve(conn: asyncpg.Connection) -> uuid.UUID | None:
        return job_id if await store.approve(conn, job_id, owner=owner, **columns) else None

    if await _write_then_publish(store, queue, approve) is None:
        current = await find_job(store=store, job_id=job_id, owner=owner)
        raise ProblemError(
            409, detail=f"The job is {current.state}: only a plan awaiting approval can be."
        )
    logger.info("job_approved kind=%s job_id=%s", queue.kind, job_id)
    return await find_job(store=store, job_id=job_id, owner=owner)


async def reject_job(*, store: JobStore, job_id: uuid.UUID, owner: Owner, reason: str) -> JobRow:
    """End a plan awaiting approval: cancelled, with ``reason`` as its error. No message is
    in flight for such a job, so there is nothing to revoke. 404, or 409 unless awaiting."""
    job = await store.reject(job_id, owner=owner, reason=reason)
    if job is None:
        current = await find_job(store=store, job_id=job_id, owner=owner)
        detail = f"The job is {current.state}: only a plan awaiting approval can be rejected."
        raise ProblemError(409, detail=detail)
    logger.info("job_rejected job_id=%s", job_id)
    return job
