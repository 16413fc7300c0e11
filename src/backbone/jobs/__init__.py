"""backbone.jobs: durable async jobs for any service, on Celery and a job table in PostgreSQL.

A service declares its job table (:class:`JobTableMixin` plus its payload columns, in a
migration of its own), writes a :class:`JobHandler`, and names both in a
:class:`JobKind`; the layer does the rest, with at-least-once delivery and every
job recorded before it is accepted:

- the API side (:class:`JobsApi`): :func:`submit_job` (recorded and published, all or
  nothing; with an :class:`IdempotencyKey`, once per key: :func:`submit_or_replay`),
  :func:`cancel_job`, :func:`approve_job` (all of a plan or a part, recorded in columns
  of the kind's own), :func:`reject_job`, :class:`JobStore` reads scoped by
  owner, 503 for unreachable stores, ``<kind>_jobs`` and ``<kind>_queue_depth`` gauges;
- the worker side (:class:`Worker`): the Celery app, the task that runs one delivery
  under the job's advisory lock (:class:`JobRunner`), retries of what it cannot run
  yet, and the reconciler that publishes again the jobs whose message was lost.

Errors::

    JobsError
    ├── DatabaseUnavailable   the job table cannot be reached (503)
    ├── BrokerUnavailable     the broker cannot take the job (503)
    ├── IdempotencyKeyReused  the key names a job asked for with another request (422)
    ├── JobCancelled          raised inside a handler once its job is no longer in progress
    └── JobFailed             raised by a handler: fail the job, keep what it did as its result
"""

from backbone.jobs._api import JobsApi, unavailable_responses
from backbone.jobs._artifacts import FileArtifacts, write_atomic
from backbone.jobs._errors import (
    BrokerUnavailable,
    DatabaseUnavailable,
    IdempotencyKeyReused,
    JobCancelled,
    JobFailed,
    JobsError,
)
from backbone.jobs._handler import AwaitApproval, JobContext, JobHandler
from backbone.jobs._idempotency import (
    KEY_PATTERN,
    KEY_REUSED,
    MAX_KEY_LENGTH,
    IdempotencyKey,
    fingerprint,
)
from backbone.jobs._kind import JobKind
from backbone.jobs._runner import JobRunner, Outcome
from backbone.jobs._settings import JobQueueSettings
from backbone.jobs._states import CANCELLABLE_STATES, FINAL_STATES, OPEN_STATES, JobState
from backbone.jobs._store import ANY_OWNER, CANCEL_REASON, JobRow, JobStore, Owner
from backbone.jobs._submit import (
    JobQueue,
    Submitted,
    approve_job,
    cancel_job,
    find_job,
    reject_job,
    submit_job,
    submit_or_replay,
)
from backbone.jobs._table import JobStepMixin, JobTableMixin, job_indexes, step_indexes
from backbone.jobs._worker import Worker

__all__ = [
    "ANY_OWNER",
    "CANCELLABLE_STATES",
    "CANCEL_REASON",
    "FINAL_STATES",
    "KEY_PATTERN",
    "KEY_REUSED",
    "MAX_KEY_LENGTH",
    "OPEN_STATES",
    "AwaitApproval",
    "BrokerUnavailable",
    "DatabaseUnavailable",
    "FileArtifacts",
    "IdempotencyKey",
    "IdempotencyKeyReused",
    "JobCancelled",
    "JobContext",
    "JobFailed",
    "JobHandler",
    "JobKind",
    "JobQueue",
    "JobQueueSettings",
    "JobRow",
    "JobRunner",
    "JobState",
    "JobStepMixin",
    "JobStore",
    "JobTableMixin",
    "JobsApi",
    "JobsError",
    "Outcome",
    "Owner",
    "Submitted",
    "Worker",
    "approve_job",
    "cancel_job",
    "find_job",
    "fingerprint",
    "job_indexes",
    "reject_job",
    "step_indexes",
    "submit_job",
    "submit_or_replay",
    "unavailable_responses",
    "write_atomic",
]
