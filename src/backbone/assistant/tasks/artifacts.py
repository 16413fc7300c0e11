"""Where a task's artifacts live: files under ``{data_dir}/artifacts/{task_id}/``.

The worker writes them (atomically, before the task is marked complete); the API serves
only names the task's result lists, so a name can never reach another file.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from backbone.core.problems import ProblemError
from backbone.jobs import FileArtifacts

__all__ = ["artifact_file", "task_artifacts"]


def task_artifacts(data_dir: Path) -> FileArtifacts:
    """The artifacts of every task, under ``data_dir``."""
    return FileArtifacts(data_dir / "artifacts")


def artifact_file(data_dir: Path, row: Mapping[str, Any], name: str) -> tuple[Path, str]:
    """The file and media type of the complete task's artifact ``name`` (404 if it has none)."""
    result = row["result"] if isinstance(row["result"], dict) else {}
    listed = {item["name"]: item["media_type"] for item in result.get("artifacts", [])}
    missing = ProblemError(404, detail=f"The task has no artifact named {name!r}.")
    if name not in listed:  # first: only a listed name ever becomes a path
        raise missing
    path = task_artifacts(data_dir).path(row["id"], name)
    if not path.is_file():
        raise missing
    return path, listed[name]


def remove_task_files(data_dir: Path, task_ids: Iterable[uuid.UUID]) -> None:
    """Remove every artifact of these tasks (their owner was deleted)."""
    artifacts = task_artifacts(data_dir)
    for task_id in task_ids:
        shutil.rmtree(artifacts.path(task_id, "x").parent, ignore_errors=True)
