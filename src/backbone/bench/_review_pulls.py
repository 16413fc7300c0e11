"""The pull requests ``backbone bench review`` reviews, on the fake GitHub of its own.

Each has :data:`FILES` changed Python files: in the base, a placeholder function; at the
head, a module written to carry :data:`FINDINGS_PER_FILE` ruff findings on changed lines
(an unused import twice, a mutable default, a comparison to ``None``, an ``if``/``else``
block for a ternary, a long line). The files differ from one pull request to the next
(their names and numbers), so no review could reuse another's work.

:class:`FakeGitHub` drives the fake's ``/_fake/`` controls: create a pull request, and
get the ``pull_request`` webhook body GitHub would send for it.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "FILES",
    "FINDINGS_PER_FILE",
    "FakeGitHub",
    "base_files",
    "head_files",
    "module_text",
]

FILES = 20
FINDINGS_PER_FILE = 6
TIMEOUT = 30.0


def module_text(pull: int, index: int) -> str:
    """File ``index`` of pull request ``pull`` at the head: six ruff findings."""
    name = f"part_{pull}_{index}"
    long_line = f"{name} is one of the modules the benchmark reviews, " * 2
    return f'''\
"""Module {index} of the benchmark's pull request {pull}."""

import os
import sys


def collect_{index}(items, seen=[]):
    """Keep the items not seen yet."""
    if items == None:
        return seen
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def label_{index}(flag):
    """A label for ``flag``."""
    if flag:
        text = "on"
    else:
        text = "off"
    return text


def describe_{index}():
    """What this module is."""
    return "{long_line.strip()}"
'''


def _path(index: int) -> str:
    return f"src/bench/part_{index:02d}.py"


def base_files(files: int = FILES) -> dict[str, str]:
    """The base tree: each module a placeholder, and a README."""
    tree = {"README.md": "# The benchmark's repository\n"}
    for index in range(files):
        tree[_path(index)] = f'"""Module {index}."""\n\n\ndef placeholder():\n    return None\n'
    return tree


def head_files(pull: int, files: int = FILES) -> dict[str, str]:
    """The head tree of pull request ``pull``: every module rewritten (see the module)."""
    return {
        **base_files(files),
        **{_path(index): module_text(pull, index) for index in range(files)},
    }


class FakeGitHub:
    """The ``/_fake/`` controls of a fake GitHub, for ``repo``, through ``client`` (whose
    base URL is the fake's)."""

    def __init__(self, client: httpx.Client, repo: str) -> None:
        self.repo = repo
        self._client = client

    @classmethod
    def at(cls, url: str, repo: str) -> FakeGitHub:
        """The controls of the fake GitHub at ``url``."""
        return cls(httpx.Client(base_url=url, timeout=TIMEOUT), repo)

    def create_pull(self, number: int, *, files: int = FILES) -> str:
        """Create pull request ``number`` with ``files`` changed modules; its head SHA."""
        spec = {
            "repo": self.repo,
            "number": number,
            "title": f"Benchmark pull request {number}",
            "head_ref": f"bench-{number}",
            "base_files": base_files(files),
            "head_files": head_files(number, files),
        }
        answer = self._client.post("/_fake/pulls", json=spec)
        if answer.status_code not in (200, 201):
            raise RuntimeError(f"the fake GitHub refused pull request {number}: {answer.text}")
        return str(answer.json()["head"]["sha"])

    def webhook_body(self, number: int, action: str = "opened") -> dict[str, Any]:
        """The ``pull_request`` delivery GitHub would send for pull request ``number``."""
        answer = self._client.get(
            f"/_fake/pulls/{self.repo}/{number}/webhook", params={"action": action}
        )
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def close(self) -> None:
        """Close the connection."""
        self._client.close()
