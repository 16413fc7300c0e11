"""A job kind's gauges, read from their sources whenever ``/metrics`` is scraped.

- ``<prefix>_jobs{state}``: jobs in the table, by state (``GROUP BY``; every state shown);
- ``<prefix>_queue_depth{queue}``: messages waiting in the broker's queue.

Each hook clears its series first, so a source that cannot be read leaves its series
out of that scrape instead of repeating a stale value.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Gauge

from backbone.core.metrics import ScrapeHook
from backbone.jobs._broker import BrokerProbe
from backbone.jobs._states import JobState
from backbone.jobs._store import JobStore

__all__ = ["JobMetrics"]


class JobMetrics:
    """The gauges of one job kind, named ``<prefix>_...`` in the app's registry."""

    def __init__(self, registry: CollectorRegistry, *, prefix: str, noun: str = "Jobs") -> None:
        self.jobs = Gauge(
            f"{prefix}_jobs", f"{noun} in the job table, by state.", ("state",), registry=registry
        )
        self.queue_depth = Gauge(
            f"{prefix}_queue_depth",
            f"{noun} waiting in the broker's queue (not yet taken by a worker).",
            ("queue",),
            registry=registry,
        )

    def jobs_hook(self, store: JobStore, states: Sequence[JobState]) -> ScrapeHook:
        """A scrape hook counting the jobs by state."""

        async def count_jobs() -> None:
            self.jobs.clear()
            counts = await store.count_by_state(states)
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
