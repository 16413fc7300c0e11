"""What a service implements for its job kind (:class:`JobHandler`), and what it sees of a job.

The runner claims a job, hands the handler a :class:`JobContext`, and finishes the job
with whatever :meth:`JobHandler.run` returns: a JSON result (complete), an
:class:`AwaitApproval` (the plan waits for a person), or an exception (failed with a
one-line reason). The handler never touches the job's state itself.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, func, insert, select, update

from backbone.jobs._errors import JobCancelled
from backbone.jobs._states import JobState
from backbone.jobs._table import utcnow

__all__ = ["AwaitApproval", "JobCancelled", "JobContext", "JobHandler"]

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
        conn: Connection,
        table: Table,
        steps: Table | None,
        row: RowMapping,
    ) -> None:
        self._conn = conn
        self._table = table
        self._steps = steps
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

    def progress(self, percent: int) -> None:
        """Record ``percent`` (0..99: 100 is for complete); :class:`JobCancelled` if cancelled."""
        table = self._table
        still_running = self._conn.execute(
            update(table)
            .where(table.c.id == self.job_id, table.c.state == JobState.IN_PROGRESS.value)
            .values(progress=max(0, min(99, percent)))
            .returning(table.c.id)
        ).first()
        self._conn.commit()
        if still_running is None:
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
        """Append a finished step (committed at once); its ``seq``."""
        if self._steps is None:
            raise TypeError("this job kind records no steps")
        steps = self._steps
        following = (
            select(func.coalesce(func.max(steps.c.seq), 0) + 1)
            .where(steps.c.job_id == self.job_id)
            .scalar_subquery()
        )
        seq: int = self._conn.execute(
            insert(steps)
            .values(
                job_id=self.job_id,
                seq=following,
                attempt=self.attempt,
                agent=agent,
                tool=tool,
                input=input,
                output=output,
                started_at=started_at or utcnow(),
                finished_at=utcnow(),
            )
            .returning(steps.c.seq)
        ).scalar_one()
        self._conn.commit()
        return seq


class JobHandler(abc.ABC):
    """The work of one job kind. ``run`` is required; the other hooks have no-op defaults."""

    @abc.abstractmethod
    def run(self, job: JobContext) -> JsonObject | AwaitApproval | None:
        """Do the work (blocking); the result to record, or a plan to wait on."""

    def completion_values(self, table: Table) -> Mapping[str, Any]:
        """Columns of the kind's own to set in the same UPDATE that completes the job."""
        return {}

    def write_artifacts(self, row: RowMapping) -> None:  # noqa: B027 - an optional hook
        """Write the job's files from its completed row (before the completion commits).

        Raising rolls the completion back and fails the job.
        """

    def ensure_artifacts(self, row: RowMapping) -> None:  # noqa: B027 - an optional hook
        """A complete job delivered again: write its files again if they were lost."""
