"""The daily-summary crew: the Community Summariser of ``config/agents.yaml``, the task
of ``config/tasks.yaml``, and one tool, ``analyse_messages``, bound to one day's messages.

The tool takes no argument (its schema forbids any): the messages it analyses are bound
by the caller, as the review's ``read_file`` is bound to one repository at one commit,
so nothing the model writes, and nothing a member wrote, can hand it other text, another
channel or another day. It answers the caller's :class:`~backbone.community._analysis.Analysis`
as JSON: the summary shows that analysis, whatever the model says about it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from backbone.agents import CrewSpec, ToolSpec, load_crew_config
from backbone.community._analysis import Analysis

__all__ = ["ANALYSE_MESSAGES", "AnalyseArgs", "analyse_tool", "summary_crew"]

CONFIG = Path(__file__).resolve().parent / "config"
ANALYSE_MESSAGES = "analyse_messages"


class AnalyseArgs(BaseModel):
    """No arguments: the day's messages are bound by the caller, never passed in."""

    model_config = ConfigDict(extra="forbid")


def analyse_tool(analyse: Callable[[], Analysis]) -> ToolSpec:
    """``analyse_messages()``: the bound day's topics, sentiment and open questions."""

    def analyse_messages(args: AnalyseArgs) -> dict[str, Any]:
        return analyse().to_json()

    return ToolSpec(
        name=ANALYSE_MESSAGES,
        description=(
            "Analyse the channel's messages of the last 24 hours (already chosen: takes "
            "no arguments). Returns the main topics (keywords, with how many messages "
            "mention each and a quote), the measured sentiment (VADER: label, mean "
            "compound score, positive/neutral/negative counts) and the open questions."
        ),
        args_schema=AnalyseArgs,
        func=analyse_messages,
    )


def summary_crew(analyse: Callable[[], Analysis]) -> CrewSpec:
    """The Community Summariser and its task, with ``analyse_messages`` over ``analyse``."""
    return load_crew_config(
        CONFIG / "agents.yaml",
        CONFIG / "tasks.yaml",
        task="summarise_day",
        agent="community_summariser",
        tools=[analyse_tool(analyse)],
    )
