"""The recommendation crew: the recommender of ``config/agents.yaml``, the task of
``config/tasks.yaml``, and one tool bound to one customer's picks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from backbone.agents import CrewSpec, ToolSpec, load_crew_config
from backbone.assistant.recommendations import MAX_ITEMS

__all__ = ["RECOMMEND", "RecommendArgs", "recommendation_crew"]

CONFIG = Path(__file__).resolve().parent / "config"
RECOMMEND = "recommend_items"


class RecommendArgs(BaseModel):
    """The recommender tool's arguments: how many picks (the customer is the task's)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=5, ge=1, le=MAX_ITEMS, description="How many picks, at most.")


def recommendation_crew(recommend: Callable[[int], dict[str, Any]]) -> CrewSpec:
    """The recommender and its task; its one tool answers ``recommend(limit)`` for the
    task's customer (no argument can name another one)."""
    tool = ToolSpec(
        name=RECOMMEND,
        description=(
            "The products to recommend to the customer, best first, from what customers "
            "bought together (or the most popular ones): each with its SKU, score and reason."
        ),
        args_schema=RecommendArgs,
        func=lambda args: recommend(args.limit),
    )
    return load_crew_config(
        CONFIG / "agents.yaml",
        CONFIG / "tasks.yaml",
        task="recommendation",
        agent="recommender",
        tools=[tool],
    )
