"""The report file: where it lives and what it says.

A job's report is ``{reports_dir}/{job_id}.txt``, written by the layer's atomic writer
(:func:`backbone.jobs.write_atomic`). The text depends only on the job's row (its id,
title and fixed ``report_time``), so writing it twice gives the same bytes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path, PurePath

from backbone.jobs import FileArtifacts

__all__ = ["REPORT", "report_artifacts", "report_path", "report_text"]

REPORT = "report"
"""The one artifact of a report job."""


def _one_file_per_job(job_id: uuid.UUID, name: str) -> PurePath:
    return PurePath(f"{job_id}.txt")


def report_artifacts(reports_dir: Path) -> FileArtifacts:
    """The report jobs' artifacts: ``{reports_dir}/{job_id}.txt``, one per job."""
    return FileArtifacts(reports_dir, layout=_one_file_per_job)


def report_path(reports_dir: Path, job_id: uuid.UUID | str) -> Path:
    """``{reports_dir}/{job_id}.txt``, the id in its canonical form (ValueError if not a UUID)."""
    return report_artifacts(reports_dir).path(job_id, REPORT)


def report_text(*, job_id: uuid.UUID | str, title: str, report_time: datetime) -> str:
    """The report: the time it was made (the seed's "current time", in UTC) and its title."""
    if report_time.tzinfo is None:
        raise ValueError("report_time must be timezone-aware")
    when = report_time.astimezone(UTC).isoformat()
    return f"{when}\ntitle: {title}\njob: {uuid.UUID(str(job_id))}\n"
