"""Real-time recommendations: item-to-item collaborative filtering over the orders.

- :mod:`.model`: the arithmetic, pure (co-purchase similarity, popularity, the answer);
- :mod:`.source`: the orders and users, read through the gateway;
- :mod:`.store`: the model in Redis, published atomically, read in one round trip;
- :mod:`.refresher`: one replica at a time keeps it current; the metrics;
- :mod:`.routes` and :mod:`.schemas`: ``GET /v1/recommendations``;
- :mod:`.service`: the API app's wiring (route, readiness report, metrics, lifespan).
"""

from backbone.assistant.recommendations.model import MAX_ITEMS, Pick, Strategy, choose
from backbone.assistant.recommendations.refresher import Refresher
from backbone.assistant.recommendations.source import GatewaySource, SourceUnavailable
from backbone.assistant.recommendations.store import Lookup, RecommendationStore

__all__ = [
    "MAX_ITEMS",
    "GatewaySource",
    "Lookup",
    "Pick",
    "RecommendationStore",
    "Refresher",
    "SourceUnavailable",
    "Strategy",
    "choose",
]
