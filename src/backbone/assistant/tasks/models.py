"""The task table and its steps: the jobs layer's columns plus a task's own.

Every task belongs to a user (``owner_id``, not null): deleting the user deletes its
tasks, and their steps with them. The layer's statements read and write the job
columns; ``type``, ``input``, ``engine``, ``request_id``, the step counts and an
automation's ``approved_actions`` are the assistant's.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from backbone.assistant.auth.models import User
from backbone.jobs import JobStepMixin, JobTableMixin, job_indexes, step_indexes

__all__ = ["TASKS", "TASK_STEPS", "AgentTask", "AgentTaskStep"]

_USERS_ID = f"{User.__tablename__}.id"


class AgentTask(JobTableMixin, table=True):
    """One agent task."""

    __tablename__ = "assistant_tasks"
    __table_args__ = job_indexes("assistant_tasks")

    owner_id: uuid.UUID | None = Field(
        default=None, foreign_key=_USERS_ID, ondelete="CASCADE", nullable=False
    )
    """The user who submitted it (always set: the layer's type allows None for other kinds)."""
    type: str = Field(sa_type=String(32), nullable=False)
    """``analysis``, ``recommendation`` or ``automation``."""
    input: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB, nullable=False)
    engine: str | None = Field(default=None, sa_type=String(200))
    """What ran the agents, once a worker has started."""
    request_id: str | None = Field(default=None, sa_type=String(128))
    total_steps: int | None = Field(default=None)
    """The steps the worker plans (the offline engine knows them; a model does not)."""
    completed_steps: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Tool calls finished in the current attempt."""
    approved_actions: list[str] | None = Field(default=None, sa_type=JSONB)
    """An automation approved in part: the action ids approved (None: all, or not approved)."""
    """The submitting request's id: it follows the task to the worker and its tools."""


class AgentTaskStep(JobStepMixin, table=True):
    """One step (an agent's tool call) of a task."""

    __tablename__ = "assistant_task_steps"
    __table_args__ = step_indexes("assistant_task_steps")

    job_id: uuid.UUID = Field(foreign_key="assistant_tasks.id", ondelete="CASCADE")


TASKS: Table = AgentTask.__table__  # type: ignore[attr-defined]
TASK_STEPS: Table = AgentTaskStep.__table__  # type: ignore[attr-defined]
