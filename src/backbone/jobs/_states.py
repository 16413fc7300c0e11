"""Where a job is in its life, for every job kind.

::

    pending ──► in-progress ──► complete
     ▲  │          │   │
     │  │          │   └──────► failed       (attempts used up, or the job raised)
     │  │          ▼
     │  │   awaiting-approval                 (the plan is made; a person decides)
     │  │          │
     └──┼──────────┘ approved                 (a later request: it runs again, to act)
        ▼
    cancelled                                  (from pending, in progress, awaiting approval)
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CANCELLABLE_STATES", "FINAL_STATES", "OPEN_STATES", "JobState"]


class JobState(StrEnum):
    """Where a job is in its life."""

    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    AWAITING_APPROVAL = "awaiting-approval"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({JobState.COMPLETE, JobState.FAILED, JobState.CANCELLED})
"""Nothing moves a job out of these."""
OPEN_STATES = frozenset({JobState.PENDING, JobState.IN_PROGRESS})
"""A message is (or should be) on its way to a worker: what the reconciler looks after."""
CANCELLABLE_STATES = frozenset({*OPEN_STATES, JobState.AWAITING_APPROVAL})
"""What a cancel request moves to cancelled."""
