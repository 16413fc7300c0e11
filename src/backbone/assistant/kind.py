"""The agent task kind: what the jobs layer needs to know about the assistant's tasks."""

from __future__ import annotations

from backbone.assistant.config import AssistantSettings
from backbone.assistant.tasks.models import TASK_STEPS, TASKS
from backbone.jobs import JobContext, JobHandler, JobKind

__all__ = ["ASSISTANT", "TASK_NAME"]

TASK_NAME = "backbone.assistant.run_task"


class NoTaskHandler(JobHandler):
    """Stands in until the agents' handler exists: a task it is given fails, with the reason."""

    def __init__(self, settings: AssistantSettings) -> None:
        self.settings = settings

    def run(self, job: JobContext) -> None:
        """Refuse: nothing can run agent tasks yet."""
        raise RuntimeError("this worker cannot run agent tasks yet")


ASSISTANT: JobKind[AssistantSettings] = JobKind(
    name="assistant",
    task=TASK_NAME,
    table=TASKS,
    steps=TASK_STEPS,
    handler=NoTaskHandler,
)
