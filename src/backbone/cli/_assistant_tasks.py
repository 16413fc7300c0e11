"""Datasets and tasks of the assistant API: upload, submit, read, and follow the events.

:func:`follow_events` reads ``GET /v1/tasks/{id}/events`` until the ``end`` event. A
stream that drops (a lost connection, a 502/503/504, an end of stream before ``end``)
is opened again with ``Last-Event-ID``, so no step is missed or repeated, after a wait
that doubles each time (from the server's ``retry:`` if it sent one, else
:data:`BACKOFF_INITIAL`, up to :data:`BACKOFF_MAX`); :data:`MAX_RECONNECTS` drops in a
row without a new event give up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from backbone.cli._assistant_api import (
    ApiError,
    Session,
    Unreachable,
    decode_json,
    expect,
    problem,
)
from backbone.cli._sse import SSEDecoder, iter_events, iter_lines

__all__ = [
    "MAX_RECONNECTS",
    "MEDIA_TYPES",
    "follow_events",
    "get_task",
    "list_tasks",
    "submit_analysis",
    "upload",
]

MEDIA_TYPES = {".csv": "text/csv", ".json": "application/json"}
MAX_RECONNECTS = 5
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 8.0
TRANSIENT_STATUSES = frozenset({502, 503, 504})
STREAM_READ_TIMEOUT = 90.0
"""Seconds without a byte before a stream counts as dropped (the API sends keep-alives)."""


def upload(session: Session, path: Path, *, name: str | None) -> dict[str, Any]:
    """Upload a CSV or JSON file as a dataset; the ``Dataset`` the API answers."""
    media_type = MEDIA_TYPES[path.suffix.lower()]
    files = {"file": (path.name, path.read_bytes(), media_type)}
    data = {"name": name} if name is not None else None
    response = session.request("POST", "/v1/datasets", files=files, data=data)
    return expect(response, 201, f"cannot upload {path.name}")


def submit_analysis(session: Session, source: dict[str, str], question: str | None) -> str:
    """Submit an analysis of ``source`` (a dataset id or ``{"source": "orders"}``); its id."""
    task_input: dict[str, str] = dict(source)
    if question is not None:
        task_input["question"] = question
    body = {"type": "analysis", "input": task_input}
    accepted = expect(session.request("POST", "/v1/tasks", json=body), 202, "not accepted")
    task_id = accepted.get("task_id")
    if not isinstance(task_id, str):
        raise ApiError("the API accepted the task without naming it (no task_id)")
    return task_id


def get_task(session: Session, task_id: str) -> dict[str, Any]:
    """The task (``GET /v1/tasks/{id}``)."""
    response = session.request("GET", f"/v1/tasks/{task_id}")
    return expect(response, 200, f"cannot read task {task_id}")


def list_tasks(
    session: Session, *, limit: int, status: str | None, task_type: str | None
) -> dict[str, Any]:
    """A page of the caller's tasks, newest first."""
    params: dict[str, str | int] = {"limit": limit}
    if status is not None:
        params["status"] = status
    if task_type is not None:
        params["type"] = task_type
    return expect(session.request("GET", "/v1/tasks", params=params), 200, "cannot list tasks")


@dataclass
class _Connection:
    """What one connection to the event stream brought."""

    last_event_id: str
    end: dict[str, Any] | None = None
    events: int = 0
    reason: str = "the stream ended before the task did"
    retry_ms: int | None = None


def _read(
    session: Session, task_id: str, last_event_id: str, on_step: Callable[[dict[str, Any]], None]
) -> _Connection:
    """Read the stream from after ``last_event_id`` until ``end`` or until it drops."""
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    timeout = httpx.Timeout(session.http.timeout.connect, read=STREAM_READ_TIMEOUT)
    decoder = SSEDecoder(last_event_id=last_event_id)
    seen = _Connection(last_event_id)
    try:
        with session.stream(
            "GET", f"/v1/tasks/{task_id}/events", headers=headers, timeout=timeout
        ) as response:
            if response.status_code in TRANSIENT_STATUSES:
                seen.reason = problem(response)
                return seen
            if response.status_code != 200:
                raise ApiError(f"cannot follow task {task_id}: {problem(response)}")
            for event in iter_events(iter_lines(response.iter_bytes()), decoder):
                seen.events += 1
                seen.last_event_id = decoder.last_event_id
                if event.event == "step":
                    on_step(decode_json(event.data, "a step"))
                elif event.event == "end":
                    seen.end = decode_json(event.data, "an end event")
                    return seen
    except Unreachable as exc:
        seen.reason = str(exc)
    except httpx.TransportError as exc:
        seen.reason = str(exc) or type(exc).__name__
    finally:
        seen.retry_ms = decoder.retry
    return seen


def follow_events(
    session: Session,
    task_id: str,
    *,
    on_step: Callable[[dict[str, Any]], None],
    on_reconnect: Callable[[int, float, str], None],
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """Follow the task's events, resuming after drops; the ``Task`` of its ``end`` event."""
    last_event_id, drops, initial = "", 0, BACKOFF_INITIAL
    while True:
        seen = _read(session, task_id, last_event_id, on_step)
        if seen.end is not None:
            return seen.end
        last_event_id = seen.last_event_id
        if seen.retry_ms is not None:
            initial = min(seen.retry_ms / 1000, BACKOFF_MAX)
        drops = 1 if seen.events else drops + 1
        if drops > MAX_RECONNECTS:
            raise ApiError(
                f"the event stream of task {task_id} kept dropping ({seen.reason}); "
                f"see where it is with `backbone assistant task {task_id}`"
            )
        # Doubling from the server's retry (or 0.5 s): 0.5, 1, 2, 4, 8, 8... seconds.
        wait = min(initial * 2 ** (drops - 1), BACKOFF_MAX)
        on_reconnect(drops, wait, seen.reason)
        sleep(wait)
