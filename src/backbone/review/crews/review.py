"""The review crew: the Expert Code Reviewer of ``config/agents.yaml``, the task of
``config/tasks.yaml``, and one tool, ``read_file``, bound to one repository at one commit.

The tool's function is bound by the caller to the pull request's repository at its head
SHA: its one argument is a path, so nothing the model (or the pull request) writes can
name another repository or another ref. The path is checked (relative, inside the
repository, bounded) and the text returned is capped, saying when it was cut; a file
that does not exist (``read`` raises FileNotFoundError) is an answer saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backbone.agents import CrewSpec, ToolSpec, load_crew_config
from backbone.review._paths import MAX_PATH_LENGTH, check_path

__all__ = [
    "MAX_READ_CHARS",
    "READ_FILE",
    "ReadFileArgs",
    "read_file_tool",
    "review_crew",
]

CONFIG = Path(__file__).resolve().parent / "config"
READ_FILE = "read_file"
MAX_READ_CHARS = 20_000
"""The most text one read hands the model (a prompt is not the place for a whole file)."""


class ReadFileArgs(BaseModel):
    """The tool's arguments: a path in the repository (the repository and ref are fixed)."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        min_length=1,
        max_length=MAX_PATH_LENGTH,
        description="The file's path from the repository's root, e.g. src/app/main.py.",
    )

    @field_validator("path")
    @classmethod
    def _inside_the_repository(cls, value: str) -> str:
        return check_path(value)


def read_file_tool(read: Callable[[str], str]) -> ToolSpec:
    """``read_file(path)``: the file's text from ``read`` (the PR's repository at its head
    SHA, bound by the caller), at most :data:`MAX_READ_CHARS` characters."""

    def read_file(args: ReadFileArgs) -> dict[str, Any]:
        try:
            text = read(args.path)
        except FileNotFoundError:
            # An answer, not a failure: the model may have guessed a path; it can go on.
            return {"path": args.path, "error": "no such file at the commit under review"}
        answer: dict[str, Any] = {"path": args.path, "text": text[:MAX_READ_CHARS]}
        if len(text) > MAX_READ_CHARS:
            answer["truncated"] = (
                f"only the first {MAX_READ_CHARS} of {len(text)} characters are shown"
            )
        return answer

    return ToolSpec(
        name=READ_FILE,
        description=(
            "Read a file from the repository: the pull request's repository at the "
            "commit under review. Argument: path, relative to the repository's root. "
            f"Returns its text (at most {MAX_READ_CHARS} characters)."
        ),
        args_schema=ReadFileArgs,
        func=read_file,
    )


def review_crew(read: Callable[[str], str]) -> CrewSpec:
    """The Expert Code Reviewer and its task, with ``read_file`` over ``read``."""
    return load_crew_config(
        CONFIG / "agents.yaml",
        CONFIG / "tasks.yaml",
        task="review",
        agent="code_reviewer",
        tools=[read_file_tool(read)],
    )
