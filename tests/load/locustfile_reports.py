"""Locust scenario "report submit under load": the report API while the workers are busy.

Each user submits a report job (``POST /generate-report``, 202) and follows it by
reading its status (``GET /reports/{job_id}/status``, 200), three reads for each
submission on average, pausing a second after each answer, as ``backbone bench
reports`` does by default. Any other status counts as a failure.

Against ``backbone up`` (the report API on port 8001, a worker with two processes;
each job takes ``BACKBONE_REPORTS_JOB_SECONDS``, 15 by default)::

    backbone up
    locust -f tests/load/locustfile_reports.py --headless -u 50 -r 10 -t 60s \\
        --host http://127.0.0.1:8001

The worker is busy with long jobs after the first few submissions, and every further
job queues behind them: what is measured is the API while the workers are busy (goal:
p99 at most 50 ms for both requests, no failures). When the test stops, the jobs it
submitted that are still pending or running are cancelled (``DELETE /reports/{id}``),
so the stack is not left with hours of queued work.

``backbone bench reports`` measures the same (and the throughput of zero-duration jobs
against bare Celery) on processes and stores of its own, with a lighter load generator.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from locust import FastHttpUser, constant, events, task

logger = logging.getLogger(__name__)
# One line per cancelling request would drown the summary.
logging.getLogger("httpx").setLevel(logging.WARNING)

SUBMITTED: list[str] = []
"""Every job submitted in this process, to cancel at the end."""


class ReportUser(FastHttpUser):
    """Submits a job, then reads its status, about three reads per submission."""

    wait_time = constant(1)
    host = "http://127.0.0.1:8001"
    job_id: str | None = None

    def on_start(self) -> None:
        """Start with a job to follow."""
        self.submit()

    @task(1)
    def submit(self) -> None:
        """Submit a job; follow it from now on."""
        response = self.client.post(
            "/generate-report", json={"title": "locust"}, name="/generate-report"
        )
        if response.status_code == 202:
            self.job_id = response.json()["job_id"]
            SUBMITTED.append(str(self.job_id))

    @task(3)
    def status(self) -> None:
        """Read the status of the job this user follows."""
        if self.job_id is not None:
            self.client.get(f"/reports/{self.job_id}/status", name="/reports/[job_id]/status")


@events.test_stop.add_listener
def cancel_submitted(environment: Any, **_: Any) -> None:
    """Cancel what is still pending or running: 409 (already final) is fine too."""
    if not SUBMITTED or environment.host is None:
        return
    with httpx.Client(base_url=environment.host, timeout=10) as client:
        answers = [client.delete(f"/reports/{job_id}").status_code for job_id in SUBMITTED]
    logger.info("cancelled %d of %d submitted jobs", answers.count(200), len(SUBMITTED))
    SUBMITTED.clear()
