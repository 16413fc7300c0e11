"""The tools by name: each one's argument model and function, and ``run_tool``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from backbone.assistant.analysis._args import (
    ColumnStatsArgs,
    CorrelationsArgs,
    GroupByArgs,
    OutliersArgs,
    TrendArgs,
)
from backbone.assistant.analysis._errors import AnalysisError, InvalidArgumentsError
from backbone.assistant.analysis._findings import ToolResult
from backbone.assistant.analysis._relations import correlations, group_by
from backbone.assistant.analysis._stats import column_stats, outliers
from backbone.assistant.analysis._trend import trend

__all__ = ["TOOLS", "Tool", "run_plan", "run_tool"]


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool as the agent layer adapts it: a name, an argument model, a function."""

    name: str
    args_model: type[BaseModel]
    function: Callable[[Any, Any], dict[str, Any]]

    @property
    def description(self) -> str:
        """The first line of the argument model's docstring."""
        return (self.args_model.__doc__ or self.name).strip().splitlines()[0]

    def parse_args(self, args: Mapping[str, Any] | BaseModel | None) -> BaseModel:
        """The validated arguments; what the model refuses is an InvalidArgumentsError."""
        if isinstance(args, self.args_model):
            return args
        raw = args.model_dump() if isinstance(args, BaseModel) else dict(args or {})
        try:
            return self.args_model.model_validate(raw)
        except ValidationError as exc:
            # Locations and messages only: the input itself is never echoed back.
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
                for error in exc.errors()[:5]
            )
            raise InvalidArgumentsError(f"invalid arguments for {self.name}: {problems}") from exc

    def run(self, frame: Any, args: Mapping[str, Any] | BaseModel | None = None) -> dict[str, Any]:
        """Validate ``args``, then compute on ``frame``."""
        return self.function(frame, self.parse_args(args))


TOOLS: Mapping[str, Tool] = MappingProxyType(
    {
        tool.name: tool
        for tool in (
            Tool("column_stats", ColumnStatsArgs, column_stats),
            Tool("group_by", GroupByArgs, group_by),
            Tool("trend", TrendArgs, trend),
            Tool("outliers", OutliersArgs, outliers),
            Tool("correlations", CorrelationsArgs, correlations),
        )
    }
)


def run_tool(
    frame: Any, name: str, args: Mapping[str, Any] | BaseModel | None = None
) -> dict[str, Any]:
    """Run the tool called ``name`` (one of :data:`TOOLS`) with ``args`` on ``frame``."""
    if (tool := TOOLS.get(name)) is None:
        raise InvalidArgumentsError(f"there is no tool {name!r}; the tools are: {', '.join(TOOLS)}")
    return tool.run(frame, args)


def run_plan(frame: Any, plan: Sequence[tuple[str, Mapping[str, Any]]]) -> list[ToolResult]:
    """Run each step of a plan; a step the tools refuse has its error's message as output.

    One bad step (a column of the wrong type) does not lose the others' results.
    """
    results: list[ToolResult] = []
    for name, args in plan:
        try:
            output: Any = run_tool(frame, name, args)
        except AnalysisError as exc:
            output = str(exc)
        results.append((name, dict(args), output))
    return results
