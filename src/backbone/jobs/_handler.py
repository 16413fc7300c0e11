"""What a service implements for its job kind (:class:`JobHandler`), and what it sees of a job.

The runner claims a job, hands the handler a :class:`JobContext`, and finishes the job
with whatever :meth:`JobHandler.run` returns: a JSON result (complete), an
:class:`AwaitApproval` (the plan waits for a person), or an exception (failed with a
one-line reason; :class:`~backbone.jobs.JobFailed` also names the result to keep). The
handler never touches the job's state itself.

Completing is two steps, in this order: :meth:`JobHandler.complete` writes the job's
artifacts (durably) and names the columns of the kind's own to record; then the runner
marks the job complete, in one statement that succeeds only if the job is still running.
A job cancelled in between has its artifacts removed (:meth:`JobHandler.discard`), so a
complete job always has its artifacts and a cancelled one has none.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from backbone.jobs._database import JobSql
from backbone.jobs._errors import JobCancelled

__all__ = ["AwaitApproval", "JobContext", "JobHandler"]

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AwaitApproval:
    """Returned by :meth:`JobHandler.run`: stop here until a person approves ``plan``."""

    plan: JsonObject


class JobContext:
    """The job a handler runs: its row (payload included), its attempt, and what it may do.

    Progress and steps are committed as they are written, so readers follow them live.
    Both notice a cancel: :class:`JobCancelled` is raised once the row has left
    ``in-progress``.
    """

    def __init__(
        self,
        *,
        conn: psycopg.Connection[dict[str, Any]],
        statements: JobSql,
        row: Mapping[str, Any],
    ) -> None:
        self._conn = conn
        self._sql = statements
        self.row = row
        self.job_id: uuid.UUID = row["id"]
        self.attempt: int = row["attempts"]

    @property
    def approved(self) -> bool:
        """True once a person has approved the plan: this run is to act on it."""
        return self.row["approved_at"] is not None

    @property
    def plan(self) -> JsonObject | None:
        """The plan awaiting (or given) approval, as the job's result holds it."""
        result: JsonObject | None = self.row["result"]
        return result

    def recorded_steps(self) -> list[JsonObject]:
        """Every step recorded for this job so far, of every attempt, in order (``seq``,
        ``attempt``, ``agent``, ``tool``, ``input``, ``output``): what an earlier delivery
        already did, so that a delivery run again need not do it twice."""
        if self._sql.recorded_steps is None:
            raise TypeError("this job kind records no steps")
        rows = self._conn.execute(self._sql.recorded_steps, {"id": self.job_id}).fetchall()
        return [dict(row) for row in rows]

    def progress(self, percent: int) -> None:
        """Record ``percent`` (0..99: 100 is for complete); :class:`JobCancelled` if cancelled."""
        values = {"id": self.job_id, "progress": max(0, min(99, percent))}
        if self._conn.execute(self._sql.progress, values).fetchone() is None:
            raise JobCancelled(f"job {self.job_id} is no longer in progress")

    def note(self, **columns: Any) -> None:
        """Set columns of the kind's own on the running job (committed at once, so readers
        see them live: an engine's name, a planned number of steps...);
        :class:`JobCancelled` if the job is no longer in progress."""
        values = {"id": self.job_id, **{f"_{name}": value for name, value in columns.items()}}
        if self._conn.execute(self._sql.note(columns), values).fetchone() is None:
            raise JobCancelled(f"job {self.job_id} is no longer in progress")

    def step(
        self,
        *,
        agent: str,
        tool: str | None = None,
        input: Any = None,
        output: Any = None,
        started_at: datetime | None = None,
    ) -> int:
        """Append a finished step (committed at once); its ``seq``. :class:`JobCancelled`
        (and no step) if the job is no longer in progress."""
        if self._sql.add_step is None:
            raise TypeError("this job kind records no steps")
        values = {
            "id": self.job_id,
            "attempt": self.attempt,
            "agent": agent,
            "tool": tool,
            "input": None if input is None else Jsonb(input),
            "output": None if output is None else Jsonb(output),
            "started_at": started_at,
        }
        row = self._conn.execute(self._sql.add_step, values).fetchone()
        if row is None:
            raise JobCancelled(f"job {self.job_id} is no longer in progress")
        seq: int = row["seq"]
        return seq


class JobHandler(abc.ABC):
    """The work of one job kind. ``run`` is required; the other hooks have no-op defaults."""

    @abc.abstractmethod
    def run(self, job: JobContext) -> JsonObject | AwaitApproval | None:
        """Do the work (blocking); the result to record, or a plan to wait on."""

    def complete(self, job: JobContext) -> Mapping[str, Any]:
        """Write the job's artifacts (durably) before it is marked complete; the columns of
        the kind's own to set as it is. Raising fails the job instead."""
        return {}

    def discard(self, job_id: uuid.UUID) -> None:  # noqa: B027 - an optional hook
        """Remove what :meth:`complete` wrote: the job was cancelled as it completed."""

    def ensure_artifacts(self, row: Mapping[str, Any]) -> None:  # noqa: B027 - an optional hook
        """A complete job delivered again: write its artifacts again if they were lost."""
