"""What a crew is made of, CrewAI-free: tools, the agent, the task, the steps it took."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from backbone.agents._errors import CrewConfigError

__all__ = [
    "AgentSpec",
    "CrewOutcome",
    "CrewSpec",
    "Step",
    "TaskSpec",
    "ToolCall",
    "ToolFunc",
    "ToolSpec",
]

ToolFunc = Callable[[Any], Any]
"""A tool's function: its validated ``args_schema`` instance in, a JSON-able value out."""

# Tool names reach the model's prompt and CrewAI's "Action:" line: nothing that could
# end that line or open another one.
_TOOL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class ToolSpec:
    """A tool: a typed function first, the agent layer only adapts it to CrewAI.

    ``func`` receives an instance of ``args_schema`` and returns a JSON-able value; what
    it computes depends on its arguments alone, never on the prompt.
    """

    name: str
    description: str
    args_schema: type[BaseModel]
    func: ToolFunc

    def __post_init__(self) -> None:
        if not _TOOL_NAME.match(self.name):
            raise CrewConfigError(
                f"tool name {self.name!r} must match {_TOOL_NAME.pattern} "
                "(a letter, then letters, digits, '_' or '-')"
            )
        if not self.description.strip():
            raise CrewConfigError(f"tool {self.name!r} needs a description")
        if not (isinstance(self.args_schema, type) and issubclass(self.args_schema, BaseModel)):
            raise CrewConfigError(f"tool {self.name!r}: args_schema must be a pydantic model")


@dataclass(frozen=True)
class AgentSpec:
    """Who the agent is (CrewAI's ``agents.yaml`` entry)."""

    role: str
    goal: str
    backstory: str


@dataclass(frozen=True)
class TaskSpec:
    """What the agent must do (CrewAI's ``tasks.yaml`` entry); ``{name}`` placeholders
    in ``description`` are filled from ``run_crew``'s ``inputs``."""

    description: str
    expected_output: str


@dataclass(frozen=True)
class CrewSpec:
    """One agent, one task, and the task's allow-list of tools."""

    agent: AgentSpec
    task: TaskSpec
    tools: Sequence[ToolSpec] = ()

    def __post_init__(self) -> None:
        names = [tool.name for tool in self.tools]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise CrewConfigError(f"tool names must be unique, repeated: {duplicates}")


@dataclass(frozen=True)
class ToolCall:
    """One step the offline engine will take: call ``tool`` with ``args``."""

    tool: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _TOOL_NAME.match(self.tool):
            raise CrewConfigError(f"tool name {self.tool!r} must match {_TOOL_NAME.pattern}")


@dataclass(frozen=True)
class Step:
    """One tool run, as the agent layer's tool adapter saw it (never parsed from text).

    ``output`` is the tool's JSON-able return value, untruncated; ``error`` says why the
    tool failed (then ``output`` is ``None``).
    """

    agent: str
    tool: str
    input: dict[str, Any]
    output: Any
    started_at: datetime
    finished_at: datetime
    error: str | None = None


@dataclass(frozen=True)
class CrewOutcome:
    """What a run produced: the answer, the steps behind it, and the engine that ran it."""

    text: str
    steps: tuple[Step, ...]
    engine: str
