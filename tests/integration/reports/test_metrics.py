"""/metrics: job counts by state and the queue's depth, read when scraped."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from backbone.reports import create_app
from tests.integration.reports.conftest import (
    QUEUE,
    JobTable,
    closed_database_url,
    closed_redis_url,
    reports_settings,
    serving,
)

pytestmark = pytest.mark.integration


def _samples(text: str, name: str) -> dict[str, float]:
    """``label value → sample value`` of the one-label gauge ``name``."""
    families = {family.name: family for family in text_string_to_metric_families(text)}
    if name not in families:
        return {}
    return {next(iter(s.labels.values())): s.value for s in families[name].samples}


async def test_counts_by_state_and_queue_depth(api: httpx.AsyncClient, job_table: JobTable) -> None:
    """Every state is counted (zeros included) and the queue depth is the broker's."""
    for _ in range(3):
        assert (await api.post("/generate-report")).status_code == 202
    for state in ("complete", "complete", "failed"):
        await job_table.add(state)
    text = (await api.get("/metrics")).text
    assert _samples(text, "reports_jobs") == {
        "pending": 3,
        "in-progress": 0,
        "complete": 2,
        "failed": 1,
        "cancelled": 0,
    }
    assert _samples(text, "reports_queue_depth") == {QUEUE: 3}


async def test_counts_follow_changes(api: httpx.AsyncClient, job_table: JobTable) -> None:
    """Each scrape reads afresh: a job moving on moves its count."""
    job_id = await job_table.add("pending")
    assert _samples((await api.get("/metrics")).text, "reports_jobs")["pending"] == 1
    await job_table.set(job_id, state="in-progress")
    counts = _samples((await api.get("/metrics")).text, "reports_jobs")
    assert (counts["pending"], counts["in-progress"]) == (0, 1)


async def test_unreachable_sources_leave_their_series_out(tmp_path: Path) -> None:
    """With the database and broker down, /metrics still answers, without their series."""
    settings = reports_settings(
        database_url=closed_database_url(), redis_url=closed_redis_url(), reports_dir=tmp_path
    )
    async with serving(create_app(settings)) as api:
        response = await api.get("/metrics")
    assert response.status_code == 200
    assert _samples(response.text, "reports_jobs") == {}
    assert _samples(response.text, "reports_queue_depth") == {}
    assert "http_requests_total" in response.text
