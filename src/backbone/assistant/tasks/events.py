"""A task's live view and its Server-Sent Events, read from PostgreSQL alone.

The worker commits each step as it finishes (``JobContext.step``), so any API replica
sees it: the stream polls the step table (every ``poll`` seconds while nothing is new)
and ends once the task is final or awaiting approval. Each ``step`` event's id is the
step's ``seq``; a client that reconnects with ``Last-Event-ID`` gets the steps after it.
The ``end`` event carries no id, so reconnecting after it replays the end, never a step.
Polling keeps this to one indexed query per client per interval with no listener
connection to hold; FastAPI sends the keep-alive comments while the stream is quiet.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from fastapi.sse import ServerSentEvent

from backbone.assistant.tasks.schemas import StepView, TaskView
from backbone.jobs import FINAL_STATES, JobRow, JobState, JobStore, Owner, find_job

__all__ = ["STEP_PAGE", "current_view", "stream"]

STEP_PAGE = 100
"""Steps read per query."""

_SETTLED = frozenset({*FINAL_STATES, JobState.AWAITING_APPROVAL})


async def _all_steps(store: JobStore, task_id: uuid.UUID, owner: Owner) -> list[JobRow]:
    return await _all_steps_after(store, task_id, owner, 0)


async def current_view(store: JobStore, task_id: uuid.UUID, *, owner: Owner) -> TaskView:
    """The task with the steps of its current attempt (404 if ``owner`` may not see it)."""
    row = await find_job(store=store, job_id=task_id, owner=owner)
    return TaskView.of(row, await _all_steps(store, task_id, owner))


def _step_events(steps: Sequence[Any]) -> list[ServerSentEvent]:
    return [
        ServerSentEvent(
            id=str(step["seq"]), event="step", data=StepView.of(step).model_dump(mode="json")
        )
        for step in steps
    ]


async def stream(
    store: JobStore,
    task_id: uuid.UUID,
    *,
    owner: Owner,
    after: int,
    poll: float,
    disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[ServerSentEvent]:
    """``step`` events after ``after``, as they are committed, then one ``end`` event."""
    while True:
        row = await store.get(task_id, owner=owner)
        steps = await store.steps(task_id, owner=owner, after=after, limit=STEP_PAGE)
        if row is None or steps is None:
            return  # the task (or its owner) was deleted while followed
        for event in _step_events(steps):
            yield event
        if steps:
            after = steps[-1]["seq"]
            if len(steps) == STEP_PAGE:
                continue
        if JobState(row["state"]) in _SETTLED:
            # Read after the state: every step the worker wrote is committed by now.
            for event in _step_events(await _all_steps_after(store, task_id, owner, after)):
                yield event
            view = TaskView.of(row, await _all_steps(store, task_id, owner))
            yield ServerSentEvent(event="end", data=view.model_dump(mode="json"))
            return
        if await disconnected():
            return
        await asyncio.sleep(poll)


async def _all_steps_after(
    store: JobStore, task_id: uuid.UUID, owner: Owner, after: int
) -> list[JobRow]:
    steps: list[JobRow] = []
    while True:
        page = await store.steps(task_id, owner=owner, after=after, limit=STEP_PAGE) or []
        steps.extend(page)
        if len(page) < STEP_PAGE:  # the last page: no query to find it empty
            return steps
        after = page[-1]["seq"]
