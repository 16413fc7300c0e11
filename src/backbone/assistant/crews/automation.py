"""The automation crew: the planner of ``config/automation/agents.yaml``, its task, and one
proposing tool per allowed action.

A proposing tool acts on nothing: it validates the action's arguments (the allow-list's
own models, plus a reason) and adds the action to the plan. What it records is the plan;
the planner's prose is only the text a person reads beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, StringConstraints, create_model

from backbone.agents import CrewSpec, ToolSpec, load_crew_config
from backbone.assistant.automation import ACTIONS

__all__ = ["CONFIG", "PROPOSE", "automation_crew", "proposal_tools"]

CONFIG = Path(__file__).resolve().parent / "config" / "automation"
PROPOSE = "propose_"
"""A proposing tool's name: this prefix and the action's."""

Why = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=500, pattern=r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$", strict=True
    ),
]


def _proposal_model(name: str, args_model: type[BaseModel]) -> type[BaseModel]:
    """The action's arguments and ``why``: what the planner fills in to propose it."""
    model: type[BaseModel] = create_model(
        f"Propose{args_model.__name__}",
        __base__=args_model,
        why=(Why, ...),
    )
    return model


def proposal_tools(propose: Callable[[str, dict[str, Any], str], Any]) -> list[ToolSpec]:
    """One tool per allowed action; each calls ``propose(tool, arguments, why)``."""

    def tool(name: str, description: str, args_model: type[BaseModel]) -> ToolSpec:
        def run(args: BaseModel) -> Any:
            arguments = args.model_dump(mode="json", exclude={"why"})
            return propose(name, arguments, args.why)  # type: ignore[attr-defined]

        return ToolSpec(
            name=PROPOSE + name,
            description=f"Propose (do not do): {description}",
            args_schema=_proposal_model(name, args_model),
            func=run,
        )

    return [tool(a.name, a.description, a.args_model) for a in ACTIONS.values()]


def automation_crew(propose: Callable[[str, dict[str, Any], str], Any]) -> CrewSpec:
    """The planner and its task, with the proposing tools."""
    return load_crew_config(
        CONFIG / "agents.yaml",
        CONFIG / "tasks.yaml",
        task="plan",
        agent="planner",
        tools=proposal_tools(propose),
    )
