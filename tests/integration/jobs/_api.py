"""A small API for the plan kind, on the layer's API side: what a service with users writes.

The user is whoever ``X-User`` names (a UUID): a stand-in for real authentication, so
that the tests can act as two users. Every route reads and writes through the layer
with that owner, so another user's job is an unknown job.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query
from pydantic import BaseModel, Field

from backbone.core.app import create_service_app
from backbone.core.pagination import Limit, Offset, Page
from backbone.core.problems import ProblemError
from backbone.jobs import JobsApi, approve_job, cancel_job, find_job, reject_job, submit_job
from tests.integration.jobs._plans import PLANS, PlanSettings

User = Annotated[uuid.UUID, Header(alias="X-User")]


class PlanRequest(BaseModel):
    """What a user asks for."""

    goal: str = Field(min_length=1, max_length=200)


class PlanApproval(BaseModel):
    """The items approved (all, when absent)."""

    items: list[str] | None = None


class PlanView(BaseModel):
    """A plan job as its owner sees it."""

    job_id: uuid.UUID
    goal: str
    status: str
    progress: int
    attempts: int
    error: str | None
    result: dict[str, Any] | None

    @classmethod
    def of(cls, row: Any) -> PlanView:
        """The view of a row of ``plan_jobs``."""
        return cls(
            job_id=row.id,
            goal=row.goal,
            status=row.state,
            progress=row.progress,
            attempts=row.attempts,
            error=row.error,
            result=row.result,
        )


class StepView(BaseModel):
    """One recorded step."""

    seq: int
    attempt: int
    agent: str
    tool: str | None
    input: Any
    output: Any


def _routes(jobs: JobsApi) -> APIRouter:
    router = APIRouter()
    store, queue = jobs.store, jobs.queue

    @router.post("/plans", status_code=202)
    async def submit(body: PlanRequest, user: User) -> dict[str, uuid.UUID]:
        job_id = await submit_job(store=store, queue=queue, owner=user, goal=body.goal)
        return {"job_id": job_id}

    @router.get("/plans")
    async def plans(user: User, limit: Limit = 20, offset: Offset = 0) -> Page[PlanView]:
        rows, total = await store.page(owner=user, state=None, limit=limit, offset=offset)
        items = [PlanView.of(row) for row in rows]
        return Page[PlanView].of(
            items, total=total, limit=limit, offset=offset, path="/plans", filters={}
        )

    @router.get("/plans/{job_id}")
    async def plan(job_id: uuid.UUID, user: User) -> PlanView:
        return PlanView.of(await find_job(store=store, job_id=job_id, owner=user))

    @router.get("/plans/{job_id}/steps")
    async def steps(
        job_id: uuid.UUID, user: User, after: Annotated[int, Query(ge=0)] = 0
    ) -> list[StepView]:
        rows = await store.steps(job_id, owner=user, after=after)
        if rows is None:
            raise ProblemError(404, detail=f"No job has id {job_id}.")
        return [StepView.model_validate(row, from_attributes=True) for row in rows]

    @router.post("/plans/{job_id}/approve")
    async def approve(job_id: uuid.UUID, user: User, body: PlanApproval | None = None) -> PlanView:
        columns = {} if body is None or body.items is None else {"approved_items": body.items}
        row = await approve_job(store=store, queue=queue, job_id=job_id, owner=user, **columns)
        return PlanView.of(row)

    @router.post("/plans/{job_id}/reject")
    async def reject(job_id: uuid.UUID, user: User) -> PlanView:
        row = await reject_job(store=store, job_id=job_id, owner=user, reason="rejected: no")
        return PlanView.of(row)

    @router.delete("/plans/{job_id}")
    async def cancel(job_id: uuid.UUID, user: User) -> PlanView:
        row = await cancel_job(store=store, queue=queue, job_id=job_id, owner=user)
        return PlanView.of(row)

    return router


def create_plans_app(settings: PlanSettings) -> FastAPI:
    """The plan kind's API."""
    jobs = JobsApi(PLANS, settings)
    app = create_service_app(
        title="plans (test-only)",
        version="0",
        settings=settings,
        readiness_checks=jobs.readiness_checks,
        lifespan=jobs.lifespan,
    )
    jobs.install(app)
    app.include_router(_routes(jobs))
    return app
