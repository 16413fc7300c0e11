"""How the API shows a task: input rules, steps cut to size, results only when final."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from backbone.assistant.tasks.schemas import (
    OUTPUT_LIMIT,
    AnalysisInput,
    Approval,
    AutomationInput,
    Rejection,
    StepView,
    TaskRequest,
    TaskView,
)

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _row(**overrides: Any) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4(),
        "type": "analysis",
        "state": "in-progress",
        "input": {"source": "orders"},
        "total_steps": 3,
        "completed_steps": 1,
        "result": None,
        "error": None,
        "engine": "local (deterministic tool runner, not a language model)",
        "attempts": 2,
        "created_at": NOW,
        "started_at": NOW,
        "finished_at": None,
    }
    return {**row, **overrides}


def _step(seq: int, attempt: int, output: Any = None) -> dict[str, Any]:
    return {
        "seq": seq,
        "attempt": attempt,
        "agent": "Data Analyst",
        "tool": "column_stats",
        "input": {"columns": None},
        "output": {"rows": 3} if output is None else output,
        "started_at": NOW,
        "finished_at": NOW,
    }


def test_analysis_input_needs_exactly_one_source() -> None:
    """A dataset id or ``source: orders``, never both, never neither; nothing unknown."""
    assert AnalysisInput.model_validate({"source": "orders"}).source == "orders"
    assert AnalysisInput.model_validate({"dataset_id": str(uuid.uuid4())}).dataset_id
    for bad in (
        {},
        {"source": "orders", "dataset_id": str(uuid.uuid4())},
        {"source": "users"},
        {"source": "orders", "sql": "DROP TABLE"},
        {"source": "orders", "question": "x" * 2001},
        {"source": "orders", "question": "nul\x00byte"},
    ):
        with pytest.raises(ValidationError):
            AnalysisInput.model_validate(bad)


def test_a_question_may_span_lines() -> None:
    """Line breaks and tabs are text a person writes; they are kept."""
    question = "Is there a trend?\n\tAnd outliers?"
    assert AnalysisInput(source="orders", question=question).question == question


def test_task_request_refuses_unknown_members_and_types() -> None:
    """The envelope has ``type`` and ``input`` only; the type is one of three."""
    assert TaskRequest.model_validate({"type": "automation", "input": {}}).type == "automation"
    for bad in (
        {"type": "analysis"},
        {"type": "poetry", "input": {}},
        {"type": "analysis", "input": {}, "x": 1},
    ):
        with pytest.raises(ValidationError):
            TaskRequest.model_validate(bad)


def test_a_step_output_is_cut_to_the_limit() -> None:
    """A long output is JSON text cut to OUTPUT_LIMIT characters; a short one is whole."""
    long = StepView.of(_step(1, 1, output={"values": list(range(5000))}))
    assert len(long.output) == OUTPUT_LIMIT
    short = StepView.of(_step(1, 1))
    assert json.loads(short.output) == {"rows": 3}


def test_a_failed_step_shows_its_error() -> None:
    """A step recorded as ``{"error": ...}`` shows the reason in ``error``."""
    assert StepView.of(_step(1, 1, output={"error": "no such column"})).error == "no such column"


def test_only_the_current_attempts_steps_show() -> None:
    """Steps of an earlier delivery are history; the view shows the current attempt's."""
    view = TaskView.of(_row(), [_step(1, 1), _step(2, 1), _step(3, 2)])
    assert [step.index for step in view.steps] == [3]
    assert view.progress.completed_steps == 1
    assert view.progress.total_steps == 3
    assert not view.final


def test_result_shows_once_complete_with_artifact_urls() -> None:
    """A complete task's result lists its artifacts with their URLs; before, there is none."""
    result = {
        "text": "report",
        "data": {"rows": 3},
        "artifacts": [{"name": "chart.png", "media_type": "image/png", "size": 10}],
    }
    row = _row(state="complete", result=result, finished_at=NOW)
    view = TaskView.of(row)
    assert view.final
    assert view.result is not None
    assert view.result.artifacts[0].url == f"/v1/tasks/{row['id']}/artifacts/chart.png"
    assert TaskView.of(_row(result=result)).result is None


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (AnalysisInput, {"source": "orders", "dataset_id": None}),
        (AnalysisInput, {"source": "orders", "question": None}),
        (AutomationInput, {"goal": "report on user 1", "user_id": None}),
        (AutomationInput, {"goal": "report on user 1", "older_than_days": None}),
        (Approval, {"action_ids": None}),
        (Rejection, {"reason": None}),
    ],
)
def test_a_member_may_be_left_out_but_never_null(model: type[BaseModel], body: Any) -> None:
    """The contract's members are not nullable: an explicit null is refused (left out, the
    default applies)."""
    with pytest.raises(ValidationError, match="may be left out, but not null"):
        model.model_validate(body)
    left_out = {name: value for name, value in body.items() if value is not None}
    model.model_validate(left_out)


def test_a_failed_or_rejected_automation_shows_what_it_recorded() -> None:
    """A failed automation shows the actions it had done; a rejected one its plan."""
    result = {"text": "stopped", "data": {"done": [{"action_id": "a1"}]}}
    failed = TaskView.of(_row(state="failed", result=result, finished_at=NOW))
    assert failed.result is not None
    assert failed.result.data == {"done": [{"action_id": "a1"}]}
    rejected = TaskView.of(_row(state="cancelled", result=result, finished_at=NOW))
    assert rejected.result is not None
    assert TaskView.of(_row(state="failed", result=None, finished_at=NOW)).result is None
