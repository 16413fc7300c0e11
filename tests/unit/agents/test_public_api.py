"""The public surface of backbone.agents, its exception tree, and its lazy CrewAI import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import backbone.agents as agents
from backbone.agents import (
    AgentsError,
    CrewConfigError,
    LLMBadResponse,
    LLMConfigError,
    LLMError,
    LLMUnavailable,
    ToolFailed,
)
from tests._surface import assert_all_is_the_surface


def test_all_is_sorted_and_exact() -> None:
    """__all__ is sorted and names exactly what the package offers (LocalLLM aside: lazy)."""
    assert_all_is_the_surface(agents)
    assert set(agents.__all__) >= {
        "AgentSettings",
        "CrewSpec",
        "ToolSpec",
        "ToolCall",
        "Step",
        "run_crew",
        "delimit",
        "check_llm",
        "acheck_llm",
        "configure_crewai",
        "engine_label",
        "load_crew_config",
    }


def test_exception_tree_has_one_root() -> None:
    """Every error derives from AgentsError; the tree is drawn in the docstring."""
    for error in (CrewConfigError, LLMError, ToolFailed):
        assert issubclass(error, AgentsError)
    for error in (LLMConfigError, LLMUnavailable, LLMBadResponse):
        assert issubclass(error, LLMError)
        assert error.__name__ in (agents.__doc__ or "")


@pytest.mark.timeout(60)
def test_importing_the_package_does_not_import_crewai() -> None:
    """Settings and check_llm cost no CrewAI import; LocalLLM resolves on first use."""
    code = (
        "import sys, backbone.agents as a\n"
        "assert 'crewai' not in sys.modules, 'crewai imported'\n"
        "a.check_llm(a.AgentSettings())\n"
        "assert 'crewai' not in sys.modules, 'crewai imported by check_llm'\n"
        "from backbone.agents import LocalLLM\n"
        "assert 'crewai' in sys.modules and LocalLLM.__name__ == 'LocalLLM'\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
