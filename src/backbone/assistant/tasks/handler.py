"""The assistant's job handler: what a worker does with one task.

A task row carries its type, its input, its owner and the request id of the call that
submitted it. The handler sets that request id for its logs and for every HTTP call its
tools make, notes the engine (so a reader sees what runs the task while it runs), and
hands the work to the capability: analysis, or automation (which plans, waits for a
person's approval, then acts). Steps are committed as the agent layer reports them; the
chart is written (atomically) only as the task completes, so a cancelled task leaves none.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from backbone.agents import AgentSettings, configure_crewai, engine_label
from backbone.assistant.analysis_task import CHART, AnalysisRun, run_analysis
from backbone.assistant.automation_task import run_automation
from backbone.assistant.config import AssistantSettings
from backbone.assistant.tasks.artifacts import task_artifacts
from backbone.assistant.tasks.schemas import TaskType
from backbone.core.logging import request_id_var
from backbone.jobs import AwaitApproval, JobContext, JobHandler

__all__ = ["TaskHandler"]

logger = logging.getLogger(__name__)


class TaskHandler(JobHandler):
    """Runs assistant tasks in a worker process (one at a time per process)."""

    def __init__(self, settings: AssistantSettings) -> None:
        configure_crewai(data_dir=settings.data_dir.resolve())
        self.settings = settings
        self.agents = AgentSettings()
        self.artifacts = task_artifacts(settings.data_dir)
        self._charts: dict[uuid.UUID, bytes] = {}

    def run(self, job: JobContext) -> dict[str, Any] | AwaitApproval:
        """Run the task; its result (text, data, artifacts, engine), or a plan to approve."""
        token = request_id_var.set(job.row["request_id"])
        try:
            kind = TaskType(job.row["type"])
            if kind is TaskType.AUTOMATION:
                job.note(engine=engine_label(self.agents))
                return run_automation(
                    job,
                    settings=self.settings,
                    agents=self.agents,
                    request_id=job.row["request_id"],
                )
            if kind is not TaskType.ANALYSIS:
                raise ValueError(f"{kind} tasks are not available yet")
            job.note(engine=engine_label(self.agents))
            outcome: AnalysisRun = run_analysis(
                job, settings=self.settings, agents=self.agents, request_id=job.row["request_id"]
            )
            self._charts[job.job_id] = outcome.chart
            return outcome.result
        finally:
            request_id_var.reset(token)

    def complete(self, job: JobContext) -> Mapping[str, Any]:
        """Write the chart the run drew, before the task is marked complete."""
        chart = self._charts.pop(job.job_id, None)
        if chart is not None:
            self.artifacts.write(job.job_id, CHART, chart)
        return {}

    def discard(self, job_id: uuid.UUID) -> None:
        """A task cancelled as it completed keeps no chart."""
        self._charts.pop(job_id, None)
        self.artifacts.remove(job_id, CHART)

    def ensure_artifacts(self, row: Mapping[str, Any]) -> None:
        """A complete task delivered again: its chart is drawn again if it was lost."""
        if self.artifacts.exists(row["id"], CHART) or not isinstance(row["result"], dict):
            return
        names = {item["name"] for item in row["result"].get("artifacts", [])}
        if CHART in names:
            logger.warning("task_chart_missing task_id=%s", row["id"])
