"""Each tool call of a crew run, committed as a step of its task as it finishes.

The three capabilities hand :class:`StepRecorder` to ``run_crew`` as ``on_step``: every
step is written (and committed) at once, so ``GET /v1/tasks/{id}`` and the event stream
show it live, and the task's ``completed_steps`` follows. A step that failed is stored
as ``{"error": ...}``.
"""

from __future__ import annotations

from backbone.agents import Step
from backbone.jobs import JobContext

__all__ = ["StepRecorder"]


class StepRecorder:
    """Records a run's steps on its job; with ``planned``, also the job's progress (to 95)."""

    def __init__(self, job: JobContext, *, planned: int | None = None) -> None:
        self.job = job
        self.planned = planned
        self.steps: list[Step] = []

    def __call__(self, step: Step) -> None:
        """Commit ``step``; :class:`~backbone.jobs.JobCancelled` once the task is cancelled."""
        self.steps.append(step)
        output = step.output if step.error is None else {"error": step.error}
        self.job.step(
            agent=step.agent,
            tool=step.tool,
            input=step.input,
            output=output,
            started_at=step.started_at,
        )
        self.job.note(completed_steps=len(self.steps))
        if self.planned:
            self.job.progress(min(95, 95 * len(self.steps) // self.planned))
