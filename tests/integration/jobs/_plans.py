"""A second, test-only job kind on backbone.jobs: plans that wait for a person's approval.

What the agentic backend will need, built from the layer's public names and nothing
else: jobs owned by a user, steps recorded as they happen, a plan that waits in
``awaiting-approval`` until a later request approves it, a JSON result and a named
artifact. Its table and migration are its own (``plan_jobs``, a branch on core's
baseline), as a service's would be.

A plan job's ``goal`` drives it: ``"explode"`` raises in the handler; anything else
is planned in three items, then, once approved (all of them, or the ``approved_items``
the approval recorded), carried out item by item — each item once, however often the
acting run is delivered. ``"stop"`` fails on purpose after the first item, keeping what
it did as the result.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from pydantic import Field as SettingField
from pydantic_settings import SettingsConfigDict
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from backbone.jobs import (
    AwaitApproval,
    FileArtifacts,
    JobContext,
    JobFailed,
    JobHandler,
    JobKind,
    JobQueueSettings,
    JobStepMixin,
    JobTableMixin,
    job_indexes,
    step_indexes,
)

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
SUMMARY = "summary.md"


class PlanSettings(JobQueueSettings):
    """``BACKBONE_PLANS_*``: the layer's queue settings, and the kind's own two."""

    model_config = SettingsConfigDict(
        env_prefix="BACKBONE_PLANS_", extra="ignore", populate_by_name=True, env_file=None
    )

    queue: str = SettingField(default="plans", pattern=r"^[a-z][a-z0-9_.-]{0,63}$")
    artifacts_dir: Path = Path("plans")
    step_pause: float = SettingField(default=0.0, ge=0, le=10)
    """Seconds between the steps of an approved plan (to watch them arrive)."""


class PlanJob(JobTableMixin, table=True):
    """One plan job: the layer's columns and a goal."""

    __tablename__ = "plan_jobs"
    __table_args__ = job_indexes("plan_jobs")

    goal: str = Field(max_length=200)
    approved_items: list[str] | None = Field(default=None, sa_type=JSONB)


class PlanStep(JobStepMixin, table=True):
    """One step of a plan job."""

    __tablename__ = "plan_job_steps"
    __table_args__ = step_indexes("plan_job_steps")

    job_id: uuid.UUID = Field(foreign_key="plan_jobs.id", ondelete="CASCADE")


PLAN_JOBS: Table = PlanJob.__table__  # type: ignore[attr-defined]
PLAN_STEPS: Table = PlanStep.__table__  # type: ignore[attr-defined]


class PlanHandler(JobHandler):
    """Plans a goal in three items and waits; once approved, carries them out."""

    def __init__(self, settings: PlanSettings) -> None:
        self.artifacts = FileArtifacts(settings.artifacts_dir)
        self.pause = settings.step_pause

    def run(self, job: JobContext) -> dict[str, Any] | AwaitApproval:
        """The planning run, or (approved) the acting run."""
        goal: str = job.row["goal"]
        if goal == "explode":
            raise RuntimeError("the goal cannot be reached")
        if not job.approved:
            items = [f"{goal}: item {n}" for n in (1, 2, 3)]
            job.step(agent="planner", tool="outline", input={"goal": goal}, output={"items": items})
            return AwaitApproval(plan={"goal": goal, "items": items})
        plan = job.plan or {}
        approved = job.row["approved_items"]
        items = [item for item in plan["items"] if approved is None or item in approved]
        done = {step["input"]["item"] for step in job.recorded_steps() if step["tool"] == "act"}
        for number, item in enumerate(items, start=1):
            if item in done:
                continue  # an earlier delivery did it
            if goal == "stop" and number > 1:
                raise JobFailed(f"{item} cannot be done", result={"done": items[:1]})
            time.sleep(self.pause)
            job.step(agent="executor", tool="act", input={"item": item}, output={"ok": True})
            job.progress(100 * number // len(items))
        summary = "".join(f"- {item}\n" for item in items)
        self.artifacts.write(job.job_id, SUMMARY, summary.encode())
        return {"goal": goal, "done": items, "artifacts": [SUMMARY]}


PLANS: JobKind[PlanSettings] = JobKind(
    name="plans",
    task="tests.plans.run",
    table=PLAN_JOBS,
    handler=PlanHandler,
    steps=PLAN_STEPS,
)
