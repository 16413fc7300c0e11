"""The report job's work, for the layer's runner: wait, then write the report.

The seed's ``time.sleep(15)``, in steps of at most a second with the progress written
after each (a cancel is noticed within a step); then the report is written, atomically
and durably, with the time it was made, and that time is recorded with the job as it
completes: every later delivery of the job writes the same bytes from the row.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from backbone.jobs import JobContext, JobHandler
from backbone.reports.config import ReportsSettings
from backbone.reports.files import REPORT, report_artifacts, report_text

__all__ = ["ReportHandler"]

logger = logging.getLogger(__name__)


class ReportHandler(JobHandler):
    """Makes one report: ``job_seconds`` of work, then ``{reports_dir}/{job_id}.txt``."""

    def __init__(self, settings: ReportsSettings) -> None:
        self.seconds = settings.job_seconds
        self.artifacts = report_artifacts(settings.reports_dir)

    def run(self, job: JobContext) -> None:
        """Work ``job_seconds``, in steps of at most 1 s, recording progress after each."""
        steps = math.ceil(self.seconds)
        start = time.monotonic()
        for step in range(1, steps + 1):
            # Aim at fixed points in time, so database round trips do not stretch the job.
            time.sleep(max(0.0, start + self.seconds * step / steps - time.monotonic()))
            job.progress(100 * step // steps)

    def complete(self, job: JobContext) -> Mapping[str, Any]:
        """Write the report with the time it is made (or the one a row already holds)."""
        report_time: datetime = job.row["report_time"] or datetime.now(UTC)
        self._write(job.job_id, job.row["title"], report_time)
        return {"report_time": report_time}

    def discard(self, job_id: uuid.UUID) -> None:
        """A job cancelled as it completed has no report."""
        self.artifacts.remove(job_id, REPORT)

    def ensure_artifacts(self, row: Mapping[str, Any]) -> None:
        """A complete job's report exists: written again (same bytes) if it was lost."""
        if row["report_time"] is None or self.artifacts.exists(row["id"], REPORT):
            return
        self._write(row["id"], row["title"], row["report_time"])
        logger.warning("report_file_rewritten job_id=%s", row["id"])

    def _write(self, job_id: uuid.UUID, title: str, report_time: datetime) -> None:
        text = report_text(job_id=job_id, title=title, report_time=report_time)
        self.artifacts.write(job_id, REPORT, text.encode("utf-8"))
