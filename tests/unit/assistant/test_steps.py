"""StepRecorder: each tool call committed as a step, with the task's counts and progress."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from backbone.agents import Step
from backbone.assistant.steps import StepRecorder
from backbone.jobs import JobContext

AT = datetime(2026, 12, 6, tzinfo=UTC)


class FakeJob:
    """What a JobContext records, in memory."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def step(self, **values: Any) -> int:
        self.calls.append(("step", values))
        return len(self.calls)

    def note(self, **columns: Any) -> None:
        self.calls.append(("note", columns))

    def progress(self, percent: int) -> None:
        self.calls.append(("progress", {"percent": percent}))


def a_step(tool: str, *, error: str | None = None) -> Step:
    output = None if error else {"n": 1}
    return Step("analyst", tool, {"column": "x"}, output, AT, AT, error)


def test_a_step_is_committed_with_its_start_and_counted() -> None:
    """The step's agent, tool, input, output and start are written, then the count."""
    job = FakeJob()
    record = StepRecorder(cast(JobContext, job))
    record(a_step("stats"))
    assert job.calls == [
        (
            "step",
            {
                "agent": "analyst",
                "tool": "stats",
                "input": {"column": "x"},
                "output": {"n": 1},
                "started_at": AT,
            },
        ),
        ("note", {"completed_steps": 1}),
    ]
    assert [step.tool for step in record.steps] == ["stats"]


def test_a_failed_step_is_stored_as_its_error() -> None:
    """A tool that failed leaves {"error": why} as the step's output."""
    job = FakeJob()
    StepRecorder(cast(JobContext, job))(a_step("trend", error="no numeric column"))
    assert job.calls[0][1]["output"] == {"error": "no numeric column"}


def test_a_planned_run_reports_progress_up_to_95() -> None:
    """With a plan of 3 steps, progress goes 31, 63, 95 (100 is for complete)."""
    job = FakeJob()
    record = StepRecorder(cast(JobContext, job), planned=3)
    for tool in ("a", "b", "c"):
        record(a_step(tool))
    assert [values["percent"] for kind, values in job.calls if kind == "progress"] == [31, 63, 95]
    assert ("note", {"completed_steps": 3}) in job.calls
