"""What the fake GitHub holds at start and after ``POST /_fake/reset``.

Repository ``octo-org/hello-world``, pull request #1 "Add a greeting module" by the user
``octocat`` (branch ``add-greeting`` into ``main``). Its head:

- adds ``src/hello/greet.py``, written to carry known ruff findings;
- modifies ``src/hello/util.py``: line 8 changes, line 3 keeps a finding that was
  already in the base (a review keeps findings on changed lines only, so not this one);
- modifies ``README.md`` (not Python).

The findings on changed lines, as ruff reports them with rules E, W, F, B, SIM and C90
at either line length 88 (ruff's default) or 100 (:data:`SEED_FINDINGS`):

============================  ====  ======  =================================================
file                          line  rule    what
============================  ====  ======  =================================================
``src/hello/greet.py``        3     F401    ``os`` imported but unused
``src/hello/greet.py``        6     B006    mutable default argument (``seen=[]``)
``src/hello/greet.py``        8     E711    comparison to ``None`` (``greeting == None``)
``src/hello/greet.py``        11    E501    a line of 117 characters
``src/hello/greet.py``        17    SIM108  ``if``/``else`` block instead of a ternary
``src/hello/util.py``         8     E711    comparison to ``None`` (``items == None``)
============================  ====  ======  =================================================

And one on an unchanged line (:data:`SEED_UNCHANGED_FINDINGS`): ``src/hello/util.py``
line 3, F401 (``sys`` imported but unused), present in base and head alike.
A test runs ruff over these files to keep this table true.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "SEED_AUTHOR",
    "SEED_BASE_FILES",
    "SEED_FINDINGS",
    "SEED_HEAD_FILES",
    "SEED_NUMBER",
    "SEED_REPO",
    "SEED_TITLE",
    "SEED_UNCHANGED_FINDINGS",
    "SeedFinding",
]

SEED_REPO = "octo-org/hello-world"
SEED_NUMBER = 1
SEED_TITLE = "Add a greeting module"
SEED_AUTHOR = "octocat"
SEED_BODY = "Adds `hello.greet`, so the project can say hello.\n\nAlso tidies `is_empty`."
SEED_BASE_REF = "main"
SEED_HEAD_REF = "add-greeting"

_README_BASE = """\
# hello-world

A tiny project to try the review agent on.
"""

_README_HEAD = """\
# hello-world

A tiny project to try the review agent on.

## Usage

    from hello.greet import greet
    print(greet("Mona"))
"""

_UTIL_BASE = '''\
"""Small helpers."""

import sys


def is_empty(items):
    """True when ``items`` has nothing in it."""
    return len(items) == 0
'''

_UTIL_HEAD = '''\
"""Small helpers."""

import sys


def is_empty(items):
    """True when ``items`` has nothing in it."""
    return items == None or len(items) == 0
'''

_LONG = "It is a pleasure to welcome you to the hello-world project, today and every day."
_GREET = f'''\
"""Greetings for the people who say hello."""

import os


def greet(name, greeting=None, seen=[]):
    """Greet ``name`` and remember who was greeted."""
    if greeting == None:
        greeting = "Hello"
    seen.append(name)
    message = f"{{greeting}}, {{name}}! {_LONG}"
    return message


def shout(name):
    """``name`` in capitals, or an empty string."""
    if name:
        text = name.upper()
    else:
        text = ""
    return text
'''

SEED_BASE_FILES: dict[str, str] = {
    "README.md": _README_BASE,
    "src/hello/__init__.py": '"""The hello-world package."""\n',
    "src/hello/util.py": _UTIL_BASE,
}
SEED_HEAD_FILES: dict[str, str] = {
    **SEED_BASE_FILES,
    "README.md": _README_HEAD,
    "src/hello/greet.py": _GREET,
    "src/hello/util.py": _UTIL_HEAD,
}


@dataclass(frozen=True, slots=True)
class SeedFinding:
    """A ruff finding the seeded head carries."""

    path: str
    line: int
    code: str


SEED_FINDINGS = (
    SeedFinding("src/hello/greet.py", 3, "F401"),
    SeedFinding("src/hello/greet.py", 6, "B006"),
    SeedFinding("src/hello/greet.py", 8, "E711"),
    SeedFinding("src/hello/greet.py", 11, "E501"),
    SeedFinding("src/hello/greet.py", 17, "SIM108"),
    SeedFinding("src/hello/util.py", 8, "E711"),
)
"""Findings on lines the pull request changes: what a review must report, exactly."""

SEED_UNCHANGED_FINDINGS = (SeedFinding("src/hello/util.py", 3, "F401"),)
"""Findings on lines the pull request does not change: what a review must leave out."""
