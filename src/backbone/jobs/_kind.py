"""A job kind: the one object that tells the layer about a service's jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Table

from backbone.jobs._handler import JobHandler
from backbone.jobs._settings import JobQueueSettings
from backbone.jobs._states import JobState

__all__ = ["JobKind"]

S = TypeVar("S", bound=JobQueueSettings)


@dataclass(frozen=True, slots=True)
class JobKind(Generic[S]):
    """What the layer needs to know about one kind of job, on both sides of the queue.

    The API builds its store and queue from it (:class:`~backbone.jobs.JobsApi`), the
    worker its Celery app and runner (:class:`~backbone.jobs.Worker`); only the worker
    calls ``handler``, once per worker process, with the kind's settings.
    """

    name: str
    """A short name: the log field ``kind``, the metrics' prefix, the Celery app's name."""
    task: str
    """The Celery task name its messages carry."""
    table: Table
    """The job table (the service's own, with the mixin's columns)."""
    handler: Callable[[S], JobHandler]
    """Makes the handler that does the work, from the settings."""
    steps: Table | None = None
    """The step table, for a kind whose jobs record steps."""
    states: tuple[JobState, ...] = field(default=tuple(JobState))
    """The states its jobs can be in (what its metrics count)."""
