"""The naive peer of the jobs benchmark: what a user would build from the seed, and its flaw."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from celery import Celery

from backbone.bench._naive import naive_api, naive_celery, result_key


def _client(celery: Celery) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=naive_api(celery))
    return httpx.AsyncClient(transport=transport, base_url="http://naive")


async def test_submit_runs_the_task_and_writes_the_report(tmp_path: Path) -> None:
    """POST /generate-report: 202 with the task id; the task writes {id}.txt, its status
    SUCCESS (the task runs in-process here: eager mode, an in-memory backend)."""
    celery = naive_celery(broker="memory://", queue="naive", reports_dir=tmp_path)
    celery.conf.update(
        task_always_eager=True, task_store_eager_result=True, result_backend="cache+memory://"
    )
    async with _client(celery) as client:
        answer = await client.post("/generate-report", json={"title": "Q3"})
        assert answer.status_code == 202
        job_id = answer.json()["job_id"]
        report = (tmp_path / f"{job_id}.txt").read_text()
        assert report.splitlines()[1:] == ["title: Q3", f"job: {job_id}"]
        assert (await client.get(f"/reports/{job_id}/status")).json()["status"] == "SUCCESS"
        assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_an_unknown_id_is_pending(tmp_path: Path) -> None:
    """No job table: Celery answers PENDING for an id it has never seen (ours answers 404)."""
    celery = naive_celery(broker="memory://", queue="naive", reports_dir=tmp_path)
    celery.conf.update(result_backend="cache+memory://")
    async with _client(celery) as client:
        unknown = str(uuid.uuid4())
        assert (await client.get(f"/reports/{unknown}/status")).json()["status"] == "PENDING"


def test_results_are_kept_under_the_runs_prefix() -> None:
    """The benchmark finds (and removes) the peer's results by the run's prefix."""
    celery = naive_celery(broker="memory://", queue="q", reports_dir=Path("."), prefix="run-x-")
    assert celery.conf.result_backend_transport_options == {"global_keyprefix": "run-x-"}
    assert result_key("run-x-", "abc") == "run-x-celery-task-meta-abc"
