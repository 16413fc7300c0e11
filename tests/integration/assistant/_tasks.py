"""Helpers of the task tests: datasets to upload, a delivery run in-process as a worker's
task runs it, and a parser of the event stream."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from backbone.assistant.config import AssistantSettings
from backbone.assistant.kind import ASSISTANT, task_handler
from backbone.jobs import JobRunner, Outcome
from backbone.jobs._database import Database

SALES_CSV = "date,region,amount,units\n" + "".join(
    f"2026-01-{day:02d},{'north' if day % 2 else 'south'},"
    f"{day * 10.5 + (500 if day == 17 else 0)},{day % 5}\n"
    for day in range(1, 29)
)


async def upload(
    api: httpx.AsyncClient,
    token: str,
    content: str | bytes = SALES_CSV,
    *,
    filename: str = "sales.csv",
    media_type: str = "text/csv",
) -> httpx.Response:
    """POST the file to /v1/datasets."""
    data = content.encode() if isinstance(content, str) else content
    return await api.post(
        "/v1/datasets",
        files={"file": (filename, data, media_type)},
        headers={"Authorization": f"Bearer {token}"},
    )


async def submit(
    api: httpx.AsyncClient, token: str, task_input: dict[str, Any], task_type: str = "analysis"
) -> httpx.Response:
    """POST a task."""
    return await api.post(
        "/v1/tasks",
        json={"type": task_type, "input": task_input},
        headers={"Authorization": f"Bearer {token}"},
    )


def run_task(settings: AssistantSettings, task_id: uuid.UUID | str) -> Outcome:
    """One delivery of a task in-process, as a worker's task runs it."""
    database = Database(settings.database_url.get_secret_value() if settings.database_url else "")
    try:
        runner = JobRunner(
            kind=ASSISTANT.name,
            table=ASSISTANT.table,
            handler=task_handler(settings),
            max_attempts=settings.max_attempts,
            steps=ASSISTANT.steps,
        )
        return runner.run(database, uuid.UUID(str(task_id)))
    finally:
        database.close()


@dataclass
class Event:
    """One Server-Sent Event."""

    event: str = "message"
    data: str = ""
    id: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The data, decoded."""
        return json.loads(self.data)


def parse_events(text: str) -> list[Event]:
    """The events of a complete ``text/event-stream`` body (comments skipped)."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event, lines = Event(), []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                lines.append(value)
            elif name == "event":
                event.event = value
            elif name == "id":
                event.id = value
        if lines:
            event.data = "\n".join(lines)
            events.append(event)
    return events
