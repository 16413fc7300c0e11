"""Capability 1, data analysis: a data-analyst agent whose tools compute on pandas.

1. The table: one of the owner's datasets (its upload, parsed again with the parser
   that accepted it), or ``source: orders`` — the Order Service's orders read through
   the gateway.
2. The plan: the analyses the question asks for (:func:`plan_analysis`). The offline
   engine runs exactly that plan; a real model gets the same tools as an allow-list and
   chooses.
3. The crew runs; each tool call is committed as a step when it finishes.
4. ``result.data`` holds the numbers pandas computed (never the model's words),
   ``result.text`` the agent's report, and ``chart.png`` the most telling column.

What the user wrote — the question, the dataset's name and column names — reaches the
agent only as delimited data, never as the task's instructions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from backbone.agents import AgentSettings, CrewOutcome, Step, ToolCall, run_crew
from backbone.assistant.analysis import (
    analysis_data,
    compose_report,
    distinct_counts,
    frame_from_rows,
    plan_analysis,
    render_chart,
)
from backbone.assistant.config import AssistantSettings
from backbone.assistant.crews.analysis import analysis_crew
from backbone.assistant.datasets import DatasetLimits, ParsedDataset, parse_upload
from backbone.assistant.orders import fetch_orders
from backbone.assistant.steps import StepRecorder
from backbone.core.db import libpq_url
from backbone.jobs import JobContext

__all__ = ["CHART", "Analysis", "AnalysisRun", "TableMissing", "load_table", "run_analysis"]

CHART = "chart.png"
ANALYST = "data_analyst"


class TableMissing(LookupError):
    """The dataset a task names is gone (deleted after the task was submitted)."""


@dataclass(frozen=True, slots=True)
class AnalysisRun:
    """What an analysis produced: the task's result, and the chart to write as it completes."""

    result: dict[str, Any]
    chart: bytes


def _limits(settings: AssistantSettings) -> DatasetLimits:
    return DatasetLimits(
        max_bytes=settings.dataset_max_bytes,
        max_rows=settings.dataset_max_rows,
        max_columns=settings.dataset_max_columns,
    )


def load_table(
    task_input: dict[str, Any],
    *,
    owner: uuid.UUID,
    settings: AssistantSettings,
    request_id: str | None,
) -> tuple[str, ParsedDataset]:
    """The table a task analyses: its name and its typed rows."""
    if task_input.get("source") == "orders":
        rows = asyncio.run(
            fetch_orders(
                settings.gateway_url, max_rows=settings.dataset_max_rows, request_id=request_id
            )
        )
        body = json.dumps(rows).encode("utf-8")
        limits = dataclasses.replace(_limits(settings), max_bytes=max(len(body), 1))
        return "orders", parse_upload(
            body, filename=None, content_type="application/json", limits=limits
        )
    assert settings.database_url is not None  # noqa: S101 - the worker needs it to start
    url = libpq_url(settings.database_url.get_secret_value())
    with psycopg.connect(url, connect_timeout=5) as conn:
        found = conn.execute(
            "SELECT name, media_type, content FROM assistant_datasets"
            " WHERE id = %s AND owner_id = %s",
            (uuid.UUID(task_input["dataset_id"]), owner),
        ).fetchone()
    if found is None:
        raise TableMissing("the dataset was deleted after the task was submitted")
    name, media_type, content = found
    return name, parse_upload(
        bytes(content), filename=None, content_type=media_type, limits=_limits(settings)
    )


@dataclass(frozen=True, slots=True)
class Analysis:
    """One table ready for the crew: its frame, the plan, and what the prompt may hold."""

    name: str
    table: ParsedDataset
    frame: Any
    plan: list[ToolCall]
    question: str | None = None

    @classmethod
    def of(cls, name: str, table: ParsedDataset, question: str | None = None) -> Analysis:
        """The frame of ``table`` and the plan its columns and the question call for."""
        frame = frame_from_rows(table.rows, table.columns)
        planned = plan_analysis(question, table.columns, distinct=distinct_counts(frame))
        plan = [ToolCall(tool, args) for tool, args in planned]
        return cls(name=name, table=table, frame=frame, plan=plan, question=question)

    def kickoff(
        self, agents: AgentSettings, on_step: Callable[[Step], None] | None = None
    ) -> CrewOutcome:
        """Run the crew once. What the user wrote goes in as delimited data only."""
        columns = ", ".join(f"{column.name} ({column.type})" for column in self.table.columns)
        untrusted = {"dataset_name": self.name, "columns": columns}
        if self.question:
            untrusted["question"] = self.question
        return run_crew(
            analysis_crew(self.frame),
            settings=agents,
            inputs={"rows": str(len(self.table.rows))},
            untrusted=untrusted,
            plan=self.plan,
            compose=lambda steps: compose_report(_outputs(steps)),
            on_step=on_step,
        )

    def result(self, outcome: CrewOutcome) -> AnalysisRun:
        """The task's result from the crew's outcome: pandas' numbers, the text, the chart."""
        outputs = _outputs(outcome.steps)
        chart = render_chart(self.frame, outputs)
        result = {
            "text": outcome.text,
            "data": analysis_data(self.frame, outputs),
            "engine": outcome.engine,
            "artifacts": [{"name": CHART, "media_type": "image/png", "size": len(chart)}],
        }
        return AnalysisRun(result=result, chart=chart)


def run_analysis(
    job: JobContext, *, settings: AssistantSettings, agents: AgentSettings, request_id: str | None
) -> AnalysisRun:
    """Analyse the task's table with the crew, each tool call committed as a step."""
    task_input: dict[str, Any] = job.row["input"]
    name, table = load_table(
        task_input, owner=job.row["owner_id"], settings=settings, request_id=request_id
    )
    analysis = Analysis.of(name, table, task_input.get("question"))
    planned = len(analysis.plan)
    job.note(total_steps=planned if agents.is_local else None, completed_steps=0)
    record = StepRecorder(job, planned=planned)
    return analysis.result(analysis.kickoff(agents, on_step=record))


def _outputs(steps: Sequence[Step]) -> list[tuple[str, dict[str, Any], Any]]:
    return [(step.tool, step.input, step.output) for step in steps if step.error is None]
