"""The recommendations' part of the API app: its store, its refresher, their wiring.

:class:`RecommendationsApi` is built with the app (nothing connects then) and
:meth:`~RecommendationsApi.install`-ed into it: the route, ``/readyz``'s
``recommendations`` report (``ok``, ``building``, ``stale: <why>``: a report, never a
503), and the ``assistant_recommendations_*`` metrics. Its lifespan runs the refresher
as a background task of the API process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from backbone.assistant.config import AssistantSettings
from backbone.assistant.recommendations.refresher import RecommendationMetrics, refresher_for
from backbone.assistant.recommendations.routes import router
from backbone.assistant.recommendations.store import RecommendationStore
from backbone.core.health import add_readiness_report
from backbone.core.metrics import add_scrape_hook
from backbone.core.redis import create_redis

__all__ = ["RecommendationsApi"]

logger = logging.getLogger(__name__)

READ_TIMEOUT_SECONDS = 1.0
"""An answer waits this long for Redis before it is a 503 (the refresher waits longer)."""
WRITE_TIMEOUT_SECONDS = 30.0


class RecommendationsApi:
    """The store the route reads, and the refresher the lifespan runs."""

    def __init__(self, settings: AssistantSettings) -> None:
        if settings.redis_url is None:
            raise ValueError("recommendations need REDIS_URL")
        timeout = READ_TIMEOUT_SECONDS
        self._reader = create_redis(
            settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._writer = create_redis(settings.redis_url, socket_timeout=WRITE_TIMEOUT_SECONDS)
        prefix = settings.recommendations_key_prefix
        self.store = RecommendationStore(self._reader, prefix=prefix)
        self.refresher = refresher_for(settings, RecommendationStore(self._writer, prefix=prefix))

    def install(self, app: FastAPI) -> None:
        """Add the route, the readiness report and the metrics to ``app``."""
        app.state.recommendations = self.store
        self.refresher.metrics = RecommendationMetrics(app.state.metrics.registry)
        add_readiness_report(app, "recommendations", lambda: self.refresher.state)
        add_scrape_hook(app, "assistant_recommendations", self.refresher.observe)
        app.include_router(router)

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Run the refresher in the background; stop it and close Redis on the way out."""
        task = asyncio.create_task(self.refresher.run(), name="recommendations-refresher")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self._reader.aclose()
            await self._writer.aclose()
