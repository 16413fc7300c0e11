"""``GET /v1/recommendations``: answered from the model in Redis, in one round trip.

No gateway call and no model (LLM) on the path: the refresher keeps the model current
(:mod:`backbone.assistant.recommendations.refresher`). Like every ``/v1`` route it needs
a bearer token.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from redis.exceptions import RedisError

from backbone.assistant.deps import CurrentUser
from backbone.assistant.recommendations.model import MAX_ITEMS, choose
from backbone.assistant.recommendations.schemas import (
    Recommendation,
    RecommendationModel,
    Recommendations,
)
from backbone.assistant.recommendations.store import RecommendationStore
from backbone.core.problems import ProblemError, problem_responses

__all__ = ["RECOMMENDATIONS_PATH", "router"]

logger = logging.getLogger(__name__)

RECOMMENDATIONS_PATH = "/v1/recommendations"
RETRY_AFTER_SECONDS = 5

router = APIRouter(tags=["recommendations"])

UserId = Annotated[int, Query(ge=1, le=2_147_483_647, description="A user id of the User Service.")]
Limit = Annotated[int, Query(ge=1, le=MAX_ITEMS, description="How many items, at most.")]

_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        **problem_responses(
            [503], description="No model yet (it is being built), or Redis is unreachable."
        )[503],
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait.",
                "schema": {"type": "string"},
                "required": True,
            }
        },
    }
}


async def get_store(request: Request) -> RecommendationStore:
    """The app's recommendation model store."""
    store: RecommendationStore = request.app.state.recommendations
    return store


StoreDep = Annotated[RecommendationStore, Depends(get_store)]


def _unavailable(detail: str) -> ProblemError:
    return ProblemError(503, detail=detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@router.get(
    RECOMMENDATIONS_PATH,
    operation_id="getRecommendations",
    summary="Items to recommend to a user of the Order Service, now (no model on the path).",
    response_model=Recommendations,
    responses={
        200: {"description": "The recommendations, best first."},
        **problem_responses([401], description="No valid access token."),
        **problem_responses([404], description="The User Service has no such user."),
        **problem_responses([422], description="The request did not validate."),
        **_UNAVAILABLE,
    },
)
async def get_recommendations(
    _user: CurrentUser, store: StoreDep, user_id: UserId, limit: Limit = 5
) -> Recommendations:
    try:
        found = await store.lookup(user_id)
    except RedisError as exc:
        logger.warning("recommendations_unreadable error=%r", exc)
        raise _unavailable("The recommendation model cannot be read now.") from None
    if found.info is None:
        raise _unavailable("The recommendation model is being built.")
    if not found.known:
        raise ProblemError(404, detail=f"The User Service has no user with id {user_id}.")
    strategy, picks = choose(found.mine, found.popular, limit)
    return Recommendations(
        user_id=user_id,
        strategy=strategy,
        items=[Recommendation.of(pick) for pick in picks],
        model=RecommendationModel.of(found.info, stale=found.stale),
    )
