"""The agent task kind: what the jobs layer needs to know about the assistant's tasks."""

from __future__ import annotations

from backbone.assistant.config import AssistantSettings
from backbone.assistant.tasks.models import TASK_STEPS, TASKS
from backbone.jobs import JobHandler, JobKind

__all__ = ["ASSISTANT", "TASK_NAME"]

TASK_NAME = "backbone.assistant.run_task"


def task_handler(settings: AssistantSettings) -> JobHandler:
    """The worker's handler, imported here: the API, which shares this kind, never loads
    pandas, matplotlib or the agent layer's tools."""
    from backbone.assistant.tasks.handler import TaskHandler

    return TaskHandler(settings)


ASSISTANT: JobKind[AssistantSettings] = JobKind(
    name="assistant",
    task=TASK_NAME,
    table=TASKS,
    steps=TASK_STEPS,
    handler=task_handler,
)
