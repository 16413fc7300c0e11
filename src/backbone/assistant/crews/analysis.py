"""The analysis crew: the data analyst of ``config/agents.yaml``, the task of
``config/tasks.yaml``, and the analysis tools bound to one table."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from backbone.agents import CrewSpec, ToolSpec, load_crew_config
from backbone.assistant.analysis import TOOLS

__all__ = ["CONFIG", "analysis_crew", "analysis_tools"]

CONFIG = Path(__file__).resolve().parent / "config"


def analysis_tools(frame: Any) -> list[ToolSpec]:
    """Every analysis tool, computing on ``frame``: the task's allow-list."""
    return [
        ToolSpec(
            name=tool.name,
            description=tool.description,
            args_schema=tool.args_model,
            func=functools.partial(tool.run, frame),
        )
        for tool in TOOLS.values()
    ]


def analysis_crew(frame: Any) -> CrewSpec:
    """The data analyst and its task, with the tools bound to ``frame``."""
    return load_crew_config(
        CONFIG / "agents.yaml",
        CONFIG / "tasks.yaml",
        task="analysis",
        agent="data_analyst",
        tools=analysis_tools(frame),
    )
