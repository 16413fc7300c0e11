"""Did the review service lose a delivery it acknowledged? The ledger after the load.

A 202 ``queued`` promises GitHub that the review is recorded and queued. After the load
(no worker runs meanwhile), each acknowledged delivery must have exactly one row in
``review_jobs`` (its ``delivery`` column), with the id the answer named, and exactly
one message on the queue (Celery's task id is the review's id) — or none, if the row
shows a worker took it (consumed). Anything else is lost: no row, another row, two
rows, or a pending row with no message. Two messages for one review are duplicated.
Rows that no 202 named (a request whose answer did not arrive in time) are counted
apart: the service kept them, the client never learnt it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg
import redis

from backbone.bench._review_load import Acked
from backbone.core.db import libpq_url
from backbone.jobs import JobState

__all__ = ["Done", "Ledger", "Row", "commented", "message_ids", "read_ledger", "reconcile"]

_ROWS = "SELECT delivery, id::text, state FROM review_jobs"
_COMMENTED = (
    "SELECT count(*), coalesce(max(findings), 0) FROM review_jobs"
    " WHERE state = %s AND comment_url IS NOT NULL AND created_at > %s"
)
_PENDING = JobState.PENDING.value


@dataclass(frozen=True, slots=True)
class Row:
    """A review's row: its id and state."""

    review_id: str
    state: str


@dataclass(frozen=True, slots=True)
class Ledger:
    """Acknowledged deliveries against what the table and the queue hold."""

    acknowledged: int
    recorded: int
    """Acknowledged deliveries with exactly their one row."""
    queued: int
    """... and exactly one message waiting."""
    consumed: int
    """... and no message, taken by a worker (the row is no longer pending)."""
    lost: int
    duplicated: int
    """Reviews with more than one message on the queue."""
    unacknowledged: int
    """Rows no 202 named."""


def reconcile(
    acked: Sequence[Acked], rows: Mapping[str, Sequence[Row]], messages: Counter[str]
) -> Ledger:
    """The ledger of ``acked`` against ``rows`` (by delivery) and ``messages`` (by id)."""
    recorded = queued = consumed = 0
    for ack in acked:
        found = rows.get(ack.delivery, ())
        if len(found) != 1 or found[0].review_id != ack.review_id:
            continue
        recorded += 1
        waiting = messages[ack.review_id]
        if waiting >= 1:
            queued += 1
        elif found[0].state != _PENDING:
            consumed += 1
    named = {ack.delivery for ack in acked}
    return Ledger(
        acknowledged=len(acked),
        recorded=recorded,
        queued=queued,
        consumed=consumed,
        lost=len(acked) - queued - consumed,
        duplicated=sum(1 for count in messages.values() if count > 1),
        unacknowledged=sum(len(found) for delivery, found in rows.items() if delivery not in named),
    )


def _rows(database_url: str) -> dict[str, list[Row]]:
    by_delivery: dict[str, list[Row]] = {}
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        for delivery, review_id, state in conn.execute(_ROWS):
            by_delivery.setdefault(delivery, []).append(Row(review_id, state))
    return by_delivery


def message_ids(raw: Iterable[bytes]) -> Counter[str]:
    """How many messages name each task id (kombu's Redis envelopes, as JSON)."""
    return Counter(str(json.loads(item)["headers"]["id"]) for item in raw)


def _messages(redis_url: str, queue: str) -> Counter[str]:
    with redis.Redis.from_url(redis_url) as client:
        raw: list[bytes] = client.lrange(queue, 0, -1)
    return message_ids(raw)


def read_ledger(acked: Sequence[Acked], *, database_url: str, redis_url: str, queue: str) -> Ledger:
    """Read the run's review table and queue, and reconcile ``acked`` with them."""
    return reconcile(acked, _rows(database_url), _messages(redis_url, queue))


@dataclass(frozen=True, slots=True)
class Done:
    """Reviews complete with their comment posted, and the most findings one had."""

    reviews: int
    findings: int


def commented(database_url: str, *, after: datetime) -> Done:
    """The reviews created after ``after`` that completed and posted their comment."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        row = conn.execute(_COMMENTED, (JobState.COMPLETE.value, after)).fetchone()
    return Done(int(row[0]), int(row[1])) if row else Done(0, 0)
