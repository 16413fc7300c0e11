"""The report job kind: what the jobs layer needs to know about report jobs."""

from __future__ import annotations

from backbone.jobs import JobKind, JobState
from backbone.reports.config import ReportsSettings
from backbone.reports.handler import ReportHandler
from backbone.reports.models import REPORT_JOBS, ReportState

__all__ = ["REPORTS", "TASK_NAME"]

TASK_NAME = "backbone.reports.generate_report"

REPORTS: JobKind[ReportsSettings] = JobKind(
    name="reports",
    task=TASK_NAME,
    table=REPORT_JOBS,
    handler=ReportHandler,
    states=tuple(JobState(state) for state in ReportState),
)
