"""Capability 2 as an agent task: a recommender agent explains a customer's picks.

1. The picks: the customer's answer read from the recommendation model in Redis, the
   one ``GET /v1/recommendations`` serves (built once from the gateway if there is none
   yet). A user the User Service does not know fails the task.
2. The crew runs with one tool, bound to that customer: ``recommend_items(limit)``. The
   offline engine calls it once and composes the explanation from the picks' reasons; a
   real model gets the same tool and writes its own.
3. ``result.data`` is what the model computed — ``user_id``, ``strategy``, ``items`` —
   never the agent's words. The goal reaches the agent only as delimited data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from backbone.agents import AgentSettings, CrewOutcome, Step, ToolCall, run_crew
from backbone.assistant.config import AssistantSettings
from backbone.assistant.crews.recommendation import RECOMMEND, recommendation_crew
from backbone.assistant.recommendations import Lookup, RecommendationStore, choose
from backbone.assistant.recommendations.refresher import refresher_for
from backbone.assistant.steps import StepRecorder
from backbone.assistant.tasks.schemas import RecommendationInput
from backbone.core.redis import create_redis
from backbone.jobs import JobContext

__all__ = ["RecommendationUnavailable", "Recommender", "read_picks", "run_recommendation"]

REDIS_TIMEOUT_SECONDS = 30.0


class RecommendationUnavailable(RuntimeError):
    """No model could be read or built, or the user is unknown to the User Service."""


async def read_picks(settings: AssistantSettings, user_id: int) -> Lookup:
    """The customer's picks from the model in Redis (built now if there is none yet)."""
    if settings.redis_url is None:
        raise RecommendationUnavailable("the worker has no REDIS_URL")
    redis = create_redis(settings.redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        store = RecommendationStore(redis, prefix=settings.recommendations_key_prefix)
        await refresher_for(settings, store).ensure()
        found = await store.lookup(user_id)
        if found.info is None:
            status = await store.status()
            why = status.reason if status and status.reason else "it is being built"
            raise RecommendationUnavailable(f"there is no recommendation model yet: {why}")
    finally:
        await redis.aclose()
    if not found.known:
        raise RecommendationUnavailable(f"the User Service has no user with id {user_id}")
    return found


@dataclass(frozen=True, slots=True)
class Recommender:
    """One customer's picks, the tool that serves them, and the crew that explains them."""

    user_id: int
    picks: Lookup

    def answer(self, limit: int) -> dict[str, Any]:
        """The customer's best ``limit`` picks: the tool's answer and the task's data."""
        strategy, picks = choose(self.picks.mine, self.picks.popular, limit)
        items = [{"sku": p.sku, "score": round(p.score, 6), "reason": p.reason} for p in picks]
        return {"user_id": self.user_id, "strategy": strategy, "items": items}

    def kickoff(
        self,
        agents: AgentSettings,
        *,
        limit: int,
        goal: str | None,
        on_step: Callable[[Step], None] | None = None,
    ) -> CrewOutcome:
        """Run the crew once; the goal goes in as delimited data only."""
        return run_crew(
            recommendation_crew(self.answer),
            settings=agents,
            inputs={"user_id": str(self.user_id), "limit": str(limit)},
            untrusted={"goal": goal} if goal else {},
            plan=[ToolCall(RECOMMEND, {"limit": limit})],
            compose=explain,
            on_step=on_step,
        )


def explain(steps: Sequence[Step]) -> str:
    """The offline engine's answer: the tool's picks, each with its reason and score."""
    answers = [s.output for s in steps if s.tool == RECOMMEND and s.error is None]
    if not answers:
        return "The recommender tool gave no answer."
    answer = answers[-1]
    how = {
        "co-purchase": "from what customers who bought the same products also bought",
        "popular": "the most popular products (no orders of theirs to go on yet)",
        "mixed": "from what customers bought together, topped up with popular products",
    }[answer["strategy"]]
    items = answer["items"]
    if not items:
        return f"There is nothing to recommend to customer {answer['user_id']} yet."
    lines = [f"{len(items)} picks for customer {answer['user_id']}, {how}:"]
    lines += [
        f"{n}. {item['sku']}: {item['reason']} (score {item['score']:.3f})"
        for n, item in enumerate(items, start=1)
    ]
    return "\n".join(lines)


def run_recommendation(
    job: JobContext, *, settings: AssistantSettings, agents: AgentSettings
) -> dict[str, Any]:
    """Read the customer's picks and have the recommender explain them; the task's result."""
    task_input = RecommendationInput.model_validate(job.row["input"])
    picks = asyncio.run(read_picks(settings, task_input.user_id))
    recommender = Recommender(task_input.user_id, picks)
    job.note(total_steps=1 if agents.is_local else None, completed_steps=0)
    record = StepRecorder(job)
    outcome = recommender.kickoff(
        agents, limit=task_input.limit, goal=task_input.goal, on_step=record
    )
    return {
        "text": outcome.text,
        "data": recommender.answer(task_input.limit),
        "engine": outcome.engine,
        "artifacts": [],
    }
