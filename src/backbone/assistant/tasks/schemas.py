"""Request and response bodies of the task routes (contracts/openapi/assistant.yaml)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from backbone.core.pagination import Page
from backbone.jobs import FINAL_STATES, JobState

__all__ = [
    "OUTPUT_LIMIT",
    "AnalysisInput",
    "Approval",
    "ArtifactView",
    "AutomationInput",
    "Progress",
    "RecommendationInput",
    "Rejection",
    "StepView",
    "TaskAccepted",
    "TaskPage",
    "TaskRequest",
    "TaskResult",
    "TaskState",
    "TaskType",
    "TaskView",
    "artifact_path",
    "task_path",
]

OUTPUT_LIMIT = 2000
"""A step's output, as JSON text, is cut to this many characters in answers."""

# A question is free text for people: any printable text, tabs and line breaks (no other
# control characters; PostgreSQL cannot store NUL).
Question = Annotated[
    str,
    StringConstraints(
        max_length=2000, pattern=r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$", strict=True
    ),
]


class TaskType(StrEnum):
    """What a task asks the agents for."""

    ANALYSIS = "analysis"
    RECOMMENDATION = "recommendation"
    AUTOMATION = "automation"


AVAILABLE_TYPES = frozenset({TaskType.ANALYSIS, TaskType.AUTOMATION})


class TaskState(StrEnum):
    """A task's states: the jobs layer's, all of them."""

    PENDING = JobState.PENDING.value
    IN_PROGRESS = JobState.IN_PROGRESS.value
    AWAITING_APPROVAL = JobState.AWAITING_APPROVAL.value
    COMPLETE = JobState.COMPLETE.value
    FAILED = JobState.FAILED.value
    CANCELLED = JobState.CANCELLED.value


class TaskRequest(BaseModel):
    """The body of ``POST /v1/tasks``; ``input`` is checked against the type afterwards."""

    model_config = ConfigDict(extra="forbid")

    type: TaskType
    input: dict[str, Any]


class _Members(BaseModel):
    """A body whose members may be left out but are never ``null`` (the contract's types
    are not nullable), and which has no members of its own."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class AnalysisInput(_Members):
    """An analysis: one of the caller's datasets, or the Order Service's orders."""

    dataset_id: uuid.UUID | None = None
    source: Literal["orders"] | None = None
    question: Question | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.dataset_id is None) == (self.source is None):
            raise ValueError('give exactly one of "dataset_id" and "source"')
        return self


UserId = Annotated[int, Field(ge=1, le=2147483647, strict=True)]
"""A user id of the User Service."""


class RecommendationInput(_Members):
    """A recommendation task: picks for one user of the Order Service, explained."""

    user_id: UserId
    goal: Question | None = None
    limit: int = Field(default=5, ge=1, le=50, strict=True)


class AutomationInput(_Members):
    """An automation: a goal the planner turns into allow-listed actions to approve."""

    goal: Annotated[Question, StringConstraints(min_length=1)]
    user_id: UserId | None = None
    older_than_days: int | None = Field(default=None, ge=0, le=3650, strict=True)


ActionId = Annotated[str, StringConstraints(pattern=r"^a[0-9]{1,2}$", strict=True)]


class Approval(_Members):
    """The body of ``POST /v1/tasks/{task_id}/approve``: the actions approved (all if absent)."""

    action_ids: Annotated[list[ActionId], Field(min_length=1, max_length=20)] | None = None

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if self.action_ids is not None and len(set(self.action_ids)) != len(self.action_ids):
            raise ValueError("action_ids must not repeat")
        return self


class Rejection(_Members):
    """The body of ``POST /v1/tasks/{task_id}/reject``."""

    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class TaskAccepted(BaseModel):
    """The 202's body."""

    task_id: uuid.UUID


class Progress(BaseModel):
    """Steps done, of the steps planned (once the worker knows them)."""

    completed_steps: int = Field(ge=0)
    total_steps: int | None = Field(ge=0)


class StepView(BaseModel):
    """One tool call of a task, as the API shows it."""

    index: int = Field(ge=1)
    attempt: int = Field(ge=1)
    agent: str
    tool: str
    input: dict[str, Any]
    output: str = Field(description="The tool's answer as JSON text, cut to 2,000 characters.")
    error: str | None = None
    started_at: datetime
    finished_at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> StepView:
        """A step row as the API shows it (its output cut to :data:`OUTPUT_LIMIT`)."""
        output = row["output"]
        error = output.get("error") if isinstance(output, dict) and len(output) == 1 else None
        text = json.dumps(output, ensure_ascii=False, separators=(",", ":"))
        return cls(
            index=row["seq"],
            attempt=row["attempt"],
            agent=row["agent"],
            tool=row["tool"] or "",
            input=row["input"] if isinstance(row["input"], dict) else {},
            output=text[:OUTPUT_LIMIT],
            error=error,
            started_at=row["started_at"],
            finished_at=row["finished_at"] or row["started_at"],
        )


class ArtifactView(BaseModel):
    """A file a task produced."""

    name: str
    media_type: str
    size: int = Field(ge=0)
    url: str


class TaskResult(BaseModel):
    """What a complete task produced."""

    text: str
    data: dict[str, Any]
    artifacts: list[ArtifactView]


def task_path(task_id: uuid.UUID) -> str:
    """The task's URL, relative."""
    return f"/v1/tasks/{task_id}"


def artifact_path(task_id: uuid.UUID, name: str) -> str:
    """An artifact's URL, relative."""
    return f"/v1/tasks/{task_id}/artifacts/{name}"


class TaskView(BaseModel):
    """A task as the API shows it."""

    task_id: uuid.UUID
    type: TaskType
    status: TaskState
    input: dict[str, Any]
    progress: Progress
    steps: list[StepView]
    result: TaskResult | None
    error: str | None
    engine: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def final(self) -> bool:
        """True once the task will not change any more."""
        return JobState(self.status) in FINAL_STATES

    @classmethod
    def of(cls, row: Mapping[str, Any], steps: Sequence[Mapping[str, Any]] = ()) -> TaskView:
        """A task row (and the steps of its current attempt, if given) as the API shows it;
        a list shows tasks without their steps."""
        current = [StepView.of(step) for step in steps if step["attempt"] == row["attempts"]]
        progress = Progress(completed_steps=row["completed_steps"], total_steps=row["total_steps"])
        return cls(
            task_id=row["id"],
            type=row["type"],
            status=row["state"],
            input=row["input"],
            progress=progress,
            steps=current,
            result=_result(row),
            error=row["error"],
            engine=row["engine"],
            attempts=row["attempts"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
        )


def _result(row: Mapping[str, Any]) -> TaskResult | None:
    """The result of a complete task; a plan awaiting approval (or rejected) shows as its
    data, and an automation that failed as what it had done."""
    result = row["result"]
    if not isinstance(result, dict) or row["state"] not in (
        TaskState.COMPLETE,
        TaskState.AWAITING_APPROVAL,
        TaskState.FAILED,
        TaskState.CANCELLED,
    ):
        return None
    artifacts = [
        ArtifactView(
            name=item["name"],
            media_type=item["media_type"],
            size=item["size"],
            url=artifact_path(row["id"], item["name"]),
        )
        for item in result.get("artifacts", [])
    ]
    return TaskResult(text=result.get("text", ""), data=result.get("data", {}), artifacts=artifacts)


class TaskPage(Page[TaskView]):
    """A page of tasks (each without its steps: ``GET /v1/tasks/{task_id}`` has them)."""
