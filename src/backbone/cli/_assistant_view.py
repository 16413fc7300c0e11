"""How ``backbone assistant`` shows tasks to people: step lines, tables, the report.

Everything shown comes from the API, and through it from uploaded data and a model:
:func:`clean` replaces control characters (terminal escape sequences included) and
the consoles print with markup off, so no answer can restyle or rewrite the terminal.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

__all__ = [
    "clean",
    "key_numbers",
    "progress_bar",
    "show_report",
    "show_task",
    "step_line",
    "tasks_table",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: object) -> str:
    """``value`` as text without control characters (newlines and tabs kept)."""
    return _CONTROL.sub("\ufffd", str(value))


def progress_bar(console: Console) -> Progress:
    """Steps done out of the total (a pulsing bar while the total is unknown)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps"),
        TimeElapsedColumn(),
        console=console,
    )


def step_line(step: dict[str, Any]) -> Text:
    """``step 2: analyst ran describe_columns`` (and its error, if it has one)."""
    line = Text(
        f"step {clean(step.get('index', '?'))}: {clean(step.get('agent', '?'))} "
        f"ran {clean(step.get('tool', '?'))}"
    )
    if step.get("error"):
        line.append(f" (error: {clean(step['error'])})", style="red")
    return line


def _count(value: object) -> str:
    if isinstance(value, list | dict):
        return str(len(value))
    return clean(value) if value is not None else "-"


def key_numbers(task: dict[str, Any]) -> Table:
    """The numbers a reader looks for first: rows, columns, steps, findings, engine."""
    result = task.get("result") or {}
    data = result.get("data") or {}
    progress = task.get("progress") or {}
    table = Table("", "", show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_row("rows", _count(data.get("rows")))
    table.add_row("columns", _count(data.get("columns")))
    if "findings" in data:
        table.add_row("findings", _count(data.get("findings")))
    table.add_row("steps", _count(progress.get("completed_steps")))
    table.add_row("engine", _count(task.get("engine")))
    return table


def show_report(console: Console, task: dict[str, Any]) -> None:
    """The report's text, then its key numbers."""
    result = task.get("result") or {}
    console.print()
    console.print(Text(clean(result.get("text") or "(the task gave no report text)")))
    console.print()
    console.print(key_numbers(task))


def _steps_table(steps: list[dict[str, Any]]) -> Table:
    table = Table("#", "agent", "tool", "finished", "error", title="steps")
    for step in steps:
        table.add_row(
            *(clean(step.get(key) or "") for key in ("index", "agent", "tool", "finished_at")),
            Text(clean(step.get("error") or ""), style="red"),
        )
    return table


def show_task(console: Console, task: dict[str, Any]) -> None:
    """A task: its state, progress and engine, its steps, then its error or its report."""
    progress = task.get("progress") or {}
    total = progress.get("total_steps")
    done = f"{progress.get('completed_steps', 0)}/{total if total is not None else '?'}"
    for label, value in (
        ("task", task.get("task_id")),
        ("type", task.get("type")),
        ("status", task.get("status")),
        ("steps", done),
        ("engine", task.get("engine") or "-"),
        ("created", task.get("created_at")),
        ("finished", task.get("finished_at") or "-"),
    ):
        console.print(Text(f"{label:<9}{clean(value)}"))
    steps = task.get("steps") or []
    if steps:
        console.print(_steps_table(steps))
    if task.get("error"):
        console.print(Text(f"error    {clean(task['error'])}", style="red"))
    if task.get("status") == "complete":
        show_report(console, task)
        for artifact in (task.get("result") or {}).get("artifacts") or []:
            size = clean(artifact.get("size"))
            console.print(Text(f"artifact {clean(artifact.get('name'))} ({size} bytes)"))


def tasks_table(page: dict[str, Any]) -> Table:
    """A page of tasks as a table, with how many there are in all as its caption."""
    items = page.get("items") or []
    table = Table("task", "type", "status", "steps", "created", "engine")
    for task in items:
        progress = task.get("progress") or {}
        total = progress.get("total_steps")
        table.add_row(
            clean(task.get("task_id")),
            clean(task.get("type")),
            clean(task.get("status")),
            f"{progress.get('completed_steps', 0)}/{total if total is not None else '?'}",
            clean(task.get("created_at")),
            clean(task.get("engine") or "-"),
        )
    table.caption = f"{len(items)} of {page.get('total', len(items))} tasks"
    return table
