"""What the API does with a job: submit it, cancel it, read its report.

**Submitting** is one transaction around the publish: the row is inserted (and the
INSERT sent, so an unreachable database fails here, before anything is published),
the message is published, and only then is the transaction committed.

- database unreachable → :class:`~backbone.reports.crud.DatabaseUnavailable`, nothing
  published, 503;
- broker unreachable → the transaction is rolled back,
  :class:`~backbone.reports.queue.BrokerUnavailable`, 503: no row without a message.

The message is therefore published *before* the row is committed, and the worker must
allow for it (that is the worker's part, described here because this order makes it
necessary): a worker may receive the task a moment before the row is visible, so it
looks the row up again for a short while before it gives up; and a commit that fails
after the publish leaves a message whose row never appears, which the worker, once
that while is over, acknowledges and drops without running anything. Either way no
job runs without a row, and no row stays pending without a message.

Publishing is blocking (kombu), so it runs in a thread.

**Cancelling** marks the row cancelled with one conditional UPDATE (only from pending
or in-progress), then revokes the task (best effort: a worker also checks the row
before and while it works).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from pathlib import Path

from celery import Celery
from sqlmodel.ext.asyncio.session import AsyncSession

from backbone.core.problems import ProblemError
from backbone.reports import crud
from backbone.reports.broker import revoke
from backbone.reports.files import report_path
from backbone.reports.models import FINAL_STATES, Job, JobState
from backbone.reports.queue import BrokerUnavailable, enqueue
from backbone.reports.schemas import ReportRequest

__all__ = ["cancel_job", "create_job", "find_job", "read_report"]

logger = logging.getLogger(__name__)


async def create_job(
    *, session: AsyncSession, celery: Celery, spec: ReportRequest, queue: str
) -> uuid.UUID:
    """Record the job and queue its task, all or nothing (see the module docstring); its id."""
    job_id = await crud.insert_job(session=session, title=spec.title)
    try:
        await asyncio.to_thread(enqueue, celery, job_id, queue=queue)
    except BrokerUnavailable:
        # A connection that broke meanwhile cannot roll back; the server drops the
        # uncommitted row with the connection anyway.
        with contextlib.suppress(*crud.DATABASE_ERRORS):
            await session.rollback()
        raise
    await crud.commit(session=session)
    return job_id


async def find_job(*, session: AsyncSession, job_id: uuid.UUID) -> Job:
    """The job with this id; 404 when there is none."""
    job = await crud.get_job(session=session, job_id=job_id)
    if job is None:
        raise ProblemError(404, detail=f"No job has id {job_id}.")
    return job


async def cancel_job(*, session: AsyncSession, celery: Celery, job_id: uuid.UUID) -> Job:
    """Cancel a pending or running job (a cancelled one stays so); 404, or 409 when final."""
    job = await crud.cancel_job(session=session, job_id=job_id)
    if job is None:
        current = await find_job(session=session, job_id=job_id)
        if current.state != JobState.CANCELLED:
            raise ProblemError(
                409, detail=f"The job is {current.state}: it can no longer be cancelled."
            )
        return current
    logger.info("report_job_cancelled job_id=%s", job_id)
    await asyncio.to_thread(revoke, celery, job_id)
    return job


async def read_report(
    *, session: AsyncSession, job_id: uuid.UUID, reports_dir: Path, retry_after: int
) -> str:
    """The report of a complete job; 404 unknown, 409 not complete, 410 file gone."""
    job = await find_job(session=session, job_id=job_id)
    if job.state != JobState.COMPLETE:
        running = job.state not in FINAL_STATES
        raise ProblemError(
            409,
            detail=f"The job is {job.state}: "
            + ("its report is not ready yet." if running else "it will have no report."),
            headers={"Retry-After": str(retry_after)} if running else None,
        )
    try:
        return await asyncio.to_thread(report_path(reports_dir, job_id).read_text, encoding="utf-8")
    except FileNotFoundError:
        logger.error("report_file_missing job_id=%s dir=%s", job_id, reports_dir)
        raise ProblemError(
            410, detail="The job is complete but its report file is no longer there."
        ) from None
