"""Prompts as data: a crew from CrewAI's ``config/agents.yaml`` and ``config/tasks.yaml``.

The files have the shape ``crewai create crew`` writes::

    # agents.yaml                       # tasks.yaml
    analyst:                            summarise:
      role: Data analyst                  description: Summarise {dataset}.
      goal: ...                           expected_output: ...
      backstory: ...                      agent: analyst
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from backbone.agents._errors import CrewConfigError
from backbone.agents._specs import AgentSpec, CrewSpec, TaskSpec, ToolSpec

__all__ = ["load_crew_config"]


def _entries(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CrewConfigError(f"{path}: cannot be read as YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise CrewConfigError(f"{path}: expected a mapping of names to entries")
    return data


def _fields(path: Path, entries: Mapping[str, Any], name: str, keys: Sequence[str]) -> list[str]:
    entry = entries.get(name)
    if not isinstance(entry, Mapping):
        raise CrewConfigError(f"{path}: no entry {name!r} (has {sorted(entries)})")
    values = [entry.get(key) for key in keys]
    missing = [key for key, value in zip(keys, values, strict=True) if not isinstance(value, str)]
    if missing:
        raise CrewConfigError(f"{path}: {name!r} needs text for {missing}")
    return [str(value).strip() for value in values]


def load_crew_config(
    agents_yaml: Path,
    tasks_yaml: Path,
    *,
    task: str,
    tools: Sequence[ToolSpec] = (),
    agent: str | None = None,
) -> CrewSpec:
    """The :class:`CrewSpec` for ``task``, run by ``agent`` (default: the task's ``agent``)."""
    tasks = _entries(tasks_yaml)
    description, expected_output = _fields(
        tasks_yaml, tasks, task, ("description", "expected_output")
    )
    agent_name = agent or (tasks[task] or {}).get("agent")
    if not isinstance(agent_name, str):
        raise CrewConfigError(f"{tasks_yaml}: {task!r} names no agent, and none was given")
    role, goal, backstory = _fields(
        agents_yaml, _entries(agents_yaml), agent_name, ("role", "goal", "backstory")
    )
    return CrewSpec(
        agent=AgentSpec(role=role, goal=goal, backstory=backstory),
        task=TaskSpec(description=description, expected_output=expected_output),
        tools=tuple(tools),
    )
