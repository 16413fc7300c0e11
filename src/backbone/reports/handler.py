"""The report job's work, for the layer's runner: wait, then write the report.

The seed's ``time.sleep(15)``, in steps of at most a second with the progress written
after each (a cancel is noticed within a step); then, as the job completes, its report
time is fixed once (``COALESCE``: a rerun keeps the first one) and the report written
from the completed row, so that every run of the job writes the same bytes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping, Table, func

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

    def completion_values(self, table: Table) -> Mapping[str, Any]:
        """The report time, fixed by the first completion."""
        return {"report_time": func.coalesce(table.c.report_time, func.now())}

    def write_artifacts(self, row: RowMapping) -> None:
        """Write the report of the completed row."""
        text = report_text(job_id=row["id"], title=row["title"], report_time=row["report_time"])
        self.artifacts.write(row["id"], REPORT, text.encode("utf-8"))

    def ensure_artifacts(self, row: RowMapping) -> None:
        """A complete job's report exists: written again (same bytes) if it was lost."""
        if row["report_time"] is None or self.artifacts.exists(row["id"], REPORT):
            return
        self.write_artifacts(row)
        logger.warning("report_file_rewritten job_id=%s", row["id"])
