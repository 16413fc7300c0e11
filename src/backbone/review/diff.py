"""Which lines of the head a pull request's ``patch`` adds or changes.

GitHub's ``patch`` (one file of ``GET /repos/{o}/{r}/pulls/{n}/files``) is unified-diff
hunk text without the ``---``/``+++`` header::

    @@ -1,3 +1,4 @@ def greet():
     unchanged line          (context: a head line, not changed)
    -removed line            (base only: no head line)
    +added line              (a changed head line)
    \\ No newline at end of file

A changed line of the head is an added one (a modified line is a removal plus an
addition). Only those carry findings and inline comments.
"""

from __future__ import annotations

import re

__all__ = ["changed_lines"]

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(patch: str | None) -> frozenset[int]:
    """The head-side line numbers ``patch`` adds (empty for None, "" or a binary file)."""
    if not patch:
        return frozenset()
    changed: set[int] = set()
    line = 0
    remaining = 0  # head lines still due in the current hunk: nothing outside one counts
    for text in patch.split("\n"):
        header = _HUNK.match(text)
        if header:
            line = int(header.group(1))
            remaining = int(header.group(2) or "1")
            continue
        if remaining <= 0 or text.startswith(("-", "\\")):
            continue  # a removed line, "\ No newline at end of file", or outside a hunk
        if text.startswith("+"):
            changed.add(line)
        # A context line starts with " "; an editor may have stripped it to "".
        line += 1
        remaining -= 1
    return frozenset(changed)
