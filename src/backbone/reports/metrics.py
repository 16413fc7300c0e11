"""The report processor's gauges, read from their sources whenever ``/metrics`` is scraped.

- ``reports_jobs{state}``: jobs in the table, by state (``GROUP BY``; every state shown);
- ``reports_queue_depth{queue}``: messages waiting in the broker's queue.

Each hook clears its series first, so a source that cannot be read leaves its series
out of that scrape instead of repeating a stale value.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from backbone.core.metrics import ScrapeHook
from backbone.reports import crud
from backbone.reports.broker import BrokerProbe

__all__ = ["ReportsMetrics"]


class ReportsMetrics:
    """The gauges, in the app's registry, and the hooks that fill them."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.jobs = Gauge(
            "reports_jobs", "Report jobs in the job table, by state.", ("state",), registry=registry
        )
        self.queue_depth = Gauge(
            "reports_queue_depth",
            "Report jobs waiting in the broker's queue (not yet taken by a worker).",
            ("queue",),
            registry=registry,
        )

    def jobs_hook(self, sessions: async_sessionmaker[AsyncSession]) -> ScrapeHook:
        """A scrape hook counting the jobs by state."""

        async def count_jobs() -> None:
            self.jobs.clear()
            async with sessions() as session:
                counts = await crud.count_by_state(session=session)
            for state, number in counts.items():
                self.jobs.labels(state=state.value).set(number)

        return count_jobs

    def queue_hook(self, probe: BrokerProbe, queue: str) -> ScrapeHook:
        """A scrape hook reading the queue's length."""

        async def measure_queue() -> None:
            self.queue_depth.clear()
            depth = await probe.depth(queue)
            self.queue_depth.labels(queue=queue).set(depth)

        return measure_queue
