"""Prompts as data: a CrewSpec from CrewAI's agents.yaml and tasks.yaml, errors named."""

from __future__ import annotations

from pathlib import Path

import pytest

from backbone.agents import AgentSpec, CrewConfigError, TaskSpec, load_crew_config
from tests.unit.agents.conftest import Counter, tool

AGENTS = """
analyst:
  role: Data analyst
  goal: Explain the numbers.
  backstory: >
    Ten years of spreadsheets.
"""
TASKS = """
summarise:
  description: Summarise {dataset}.
  expected_output: Three sentences.
  agent: analyst
orphan:
  description: Nobody runs this.
  expected_output: Nothing.
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """agents.yaml and tasks.yaml in a config directory."""
    (tmp_path / "agents.yaml").write_text(AGENTS)
    (tmp_path / "tasks.yaml").write_text(TASKS)
    return tmp_path / "agents.yaml", tmp_path / "tasks.yaml"


def test_loads_the_task_and_its_agent(files: tuple[Path, Path], counter: Counter) -> None:
    """The task's entry and the agent it names become the spec, with the given tools."""
    spec = load_crew_config(*files, task="summarise", tools=[tool("total", counter.total)])
    assert spec.agent == AgentSpec(
        "Data analyst", "Explain the numbers.", "Ten years of spreadsheets."
    )
    assert spec.task == TaskSpec("Summarise {dataset}.", "Three sentences.")
    assert [t.name for t in spec.tools] == ["total"]


def test_errors_name_the_file_and_the_entry(files: tuple[Path, Path], tmp_path: Path) -> None:
    """Unknown task, a task without agent, a missing field, bad YAML: CrewConfigError."""
    with pytest.raises(CrewConfigError, match="no entry 'nope'"):
        load_crew_config(*files, task="nope")
    with pytest.raises(CrewConfigError, match="names no agent"):
        load_crew_config(*files, task="orphan")
    (tmp_path / "bad.yaml").write_text("analyst:\n  role: x\n")
    with pytest.raises(CrewConfigError, match=r"\['goal', 'backstory'\]"):
        load_crew_config(tmp_path / "bad.yaml", files[1], task="summarise")
    (tmp_path / "broken.yaml").write_text("a: [")
    with pytest.raises(CrewConfigError, match="YAML"):
        load_crew_config(tmp_path / "broken.yaml", files[1], task="summarise")


def test_tool_specs_are_checked(counter: Counter) -> None:
    """A tool name that could break CrewAI's Action line, or a duplicate, is refused."""
    with pytest.raises(CrewConfigError, match="tool name"):
        tool("two words", counter.total)
    from backbone.agents import AgentSpec as A
    from backbone.agents import CrewSpec
    from backbone.agents import TaskSpec as T

    with pytest.raises(CrewConfigError, match="unique"):
        CrewSpec(
            A("r", "g", "b"), T("d", "e"), [tool("t", counter.total), tool("t", counter.total)]
        )
