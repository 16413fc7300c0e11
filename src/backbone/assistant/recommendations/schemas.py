"""The answer of ``GET /v1/recommendations`` (contracts/openapi/assistant.yaml)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from backbone.assistant.recommendations.model import MAX_ITEMS, Pick, Strategy
from backbone.assistant.recommendations.store import ModelInfo

__all__ = ["Recommendation", "RecommendationModel", "Recommendations"]


class Recommendation(BaseModel):
    """One SKU to recommend, its score and why."""

    sku: str
    score: float = Field(ge=0)
    reason: str = Field(
        description="Why, for people (`bought with BOOK-1 by 14 customers`, "
        "`popular with 31 customers`)."
    )

    @classmethod
    def of(cls, pick: Pick) -> Recommendation:
        """A pick as the API shows it."""
        return cls(sku=pick.sku, score=round(pick.score, 6), reason=pick.reason)


class RecommendationModel(BaseModel):
    """The model an answer came from."""

    version: int = Field(ge=1)
    built_at: datetime
    orders: int = Field(ge=0, description="The orders the model counts (cancelled ones excluded).")
    stale: bool = Field(
        description="True when the last refresh failed and this is the last good model."
    )

    @classmethod
    def of(cls, info: ModelInfo, *, stale: bool) -> RecommendationModel:
        """The model's info as the API shows it."""
        return cls(version=info.version, built_at=info.built_at, orders=info.orders, stale=stale)


class Recommendations(BaseModel):
    """The recommendations for one user, best first."""

    user_id: int
    strategy: Strategy
    items: list[Recommendation] = Field(max_length=MAX_ITEMS)
    model: RecommendationModel
