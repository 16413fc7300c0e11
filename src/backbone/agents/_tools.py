"""The adapter from :class:`ToolSpec` to CrewAI's ``BaseTool``, and the step recorder.

Steps are recorded here, around the tool's own function: what a step says is what ran,
never what a model (or the data it read) wrote about it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from backbone.agents._environment import crewai

crewai()  # before any crewai import: its import writes under the home directory otherwise

from crewai.tools import BaseTool  # noqa: E402
from crewai.tools.tool_failure import ToolFailure, ToolFailureReason  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field  # noqa: E402

from backbone.agents._prompt import delimit  # noqa: E402
from backbone.agents._specs import Step, ToolSpec  # noqa: E402

__all__ = ["StepRecorder", "ToolRaised", "adapt_tools"]

OnStep = Callable[[Step], None]


class ToolRaised(RuntimeError):
    """A tool's function raised (or returned something that is not JSON): the run stops."""


class StepRecorder:
    """The steps of one run, in the order the tools finished; reported to ``on_step``."""

    def __init__(self, *, agent: str, on_step: OnStep | None) -> None:
        self._agent = agent
        self._on_step = on_step
        self._lock = threading.Lock()
        self._steps: list[Step] = []
        self.failed: Step | None = None
        self.callback_error: BaseException | None = None

    @property
    def steps(self) -> tuple[Step, ...]:
        with self._lock:
            return tuple(self._steps)

    def run(self, spec: ToolSpec, raw: Mapping[str, Any]) -> str:
        """Validate ``raw``, call the tool, record the step; the model sees JSON, fenced."""
        if self.failed is not None or self.callback_error is not None:
            raise ToolRaised("the run has stopped: no further tool runs")
        started = datetime.now(UTC)
        inputs: dict[str, Any] = dict(raw)
        try:
            args = spec.args_schema.model_validate(dict(raw))
            inputs = args.model_dump(mode="json")
            output = spec.func(args)
            text = json.dumps(output, ensure_ascii=False, allow_nan=False)
        except Exception as exc:
            step = Step(
                self._agent,
                spec.name,
                inputs,
                None,
                started,
                datetime.now(UTC),
                error=f"{type(exc).__name__}: {exc}",
            )
            self._record(step, failed=True)
            raise ToolRaised(f"tool {spec.name!r} failed: {step.error}") from exc
        self._record(Step(self._agent, spec.name, inputs, output, started, datetime.now(UTC)))
        return delimit(f"{spec.name}-result", text)

    def _record(self, step: Step, *, failed: bool = False) -> None:
        with self._lock:
            self._steps.append(step)
            if failed:
                self.failed = step
        if self._on_step is None:
            return
        try:
            self._on_step(step)
        except BaseException as exc:
            # The caller's own signal (a cancelled job, say): stop the run, hand it back.
            self.callback_error = exc
            raise


class _SpecTool(BaseTool):
    """One :class:`ToolSpec` as CrewAI sees it; the work is the recorder's."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    spec: Any = Field(exclude=True)
    recorder: Any = Field(exclude=True)

    def _run(self, *args: Any, **kwargs: Any) -> str | ToolFailure:
        recorder: StepRecorder = self.recorder
        try:
            return recorder.run(self.spec, kwargs)
        except Exception as exc:
            # Reported, not raised: CrewAI runs a tool that raises up to three times more,
            # while a reported failure ends the run at once (the RAISE policy).
            return ToolFailure(message=str(exc), reason=ToolFailureReason.EXCEPTION)


def adapt_tools(specs: Sequence[ToolSpec], recorder: StepRecorder) -> list[BaseTool]:
    """The task's allow-list as CrewAI tools: only these can run."""
    tools: list[BaseTool] = []
    for spec in specs:
        schema: type[BaseModel] = spec.args_schema
        tools.append(
            _SpecTool(
                name=spec.name,
                description=spec.description,
                args_schema=schema,
                spec=spec,
                recorder=recorder,
            )
        )
    return tools
