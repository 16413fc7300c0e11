"""Reading a report: what the API adds to the jobs layer for report jobs."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

from backbone.core.problems import ProblemError
from backbone.jobs import ANY_OWNER, FINAL_STATES, JobState, JobStore, find_job
from backbone.reports.files import REPORT, report_artifacts

__all__ = ["read_report"]

logger = logging.getLogger(__name__)


async def read_report(
    *, store: JobStore, job_id: uuid.UUID, reports_dir: Path, retry_after: int
) -> str:
    """The report of a complete job; 404 unknown, 409 not complete, 410 file gone."""
    job = await find_job(store=store, job_id=job_id, owner=ANY_OWNER)
    if job.state != JobState.COMPLETE:
        running = job.state not in FINAL_STATES
        raise ProblemError(
            409,
            detail=f"The job is {job.state}: "
            + ("its report is not ready yet." if running else "it will have no report."),
            headers={"Retry-After": str(retry_after)} if running else None,
        )
    try:
        data = await asyncio.to_thread(report_artifacts(reports_dir).read, job_id, REPORT)
    except FileNotFoundError:
        logger.error("report_file_missing job_id=%s dir=%s", job_id, reports_dir)
        raise ProblemError(
            410, detail="The job is complete but its report file is no longer there."
        ) from None
    return data.decode("utf-8")
