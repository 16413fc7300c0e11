"""The review crew: the seed's role and goal verbatim, one tool bound to the PR's repository
at its head, its path checked and its answer capped."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backbone.review.crews.review import (
    MAX_READ_CHARS,
    READ_FILE,
    ReadFileArgs,
    read_file_tool,
    review_crew,
)


def _never(path: str) -> str:
    raise AssertionError(f"read {path!r}")


def test_role_and_goal_are_the_seeds_words() -> None:
    """Role "Expert Code Reviewer" and the goal, exactly as the project's brief gives them."""
    spec = review_crew(_never)
    assert spec.agent.role == "Expert Code Reviewer"
    assert spec.agent.goal == (
        "Analyze the provided code for potential bugs, style guide violations (e.g., PEP 8),"
        " and opportunities for refactoring."
    )
    assert "{number}" in spec.task.description
    assert "{head_sha}" in spec.task.description
    assert [tool.name for tool in spec.tools] == [READ_FILE]


def test_the_tool_reads_a_file_from_the_repository() -> None:
    """``read_file`` takes only ``path``; the repository and ref are the caller's binding."""
    seen: list[str] = []

    def read(path: str) -> str:
        seen.append(path)
        return "print('hi')\n"

    tool = read_file_tool(read)
    assert tool.description.startswith("Read a file from the repository")
    assert set(tool.args_schema.model_json_schema()["properties"]) == {"path"}
    answer = tool.func(ReadFileArgs(path="src/app.py"))
    assert answer == {"path": "src/app.py", "text": "print('hi')\n"}
    assert seen == ["src/app.py"]


@pytest.mark.parametrize(
    "args",
    [
        {"path": "../other-repo/secrets.py"},
        {"path": "/etc/passwd"},
        {"path": "a/../../b"},
        {"path": ""},
        {"path": "x" * 1025},
        {"path": "ok.py", "ref": "main"},
        {"path": "ok.py", "repo": "other/repo"},
    ],
)
def test_paths_outside_and_extra_arguments_are_refused(args: dict[str, str]) -> None:
    """Absolute, ``..``, empty, too long, or an extra ``ref``/``repo``: validation fails."""
    with pytest.raises(ValidationError):
        ReadFileArgs.model_validate(args)


def test_a_long_file_is_cut_and_says_so() -> None:
    """Over MAX_READ_CHARS: the first part, and a note of how much there was."""
    tool = read_file_tool(lambda path: "x" * (MAX_READ_CHARS + 5))
    answer = tool.func(ReadFileArgs(path="big.py"))
    assert len(answer["text"]) == MAX_READ_CHARS
    assert answer["truncated"] == (
        f"only the first {MAX_READ_CHARS} of {MAX_READ_CHARS + 5} characters are shown"
    )


def test_a_missing_file_is_an_answer_not_a_failure() -> None:
    """FileNotFoundError from ``read``: the model is told, the run can go on."""

    def read(path: str) -> str:
        raise FileNotFoundError(path)

    answer = read_file_tool(read).func(ReadFileArgs(path="nope.py"))
    assert answer == {"path": "nope.py", "error": "no such file at the commit under review"}
