"""The rules the review runs by default, and what each rule family means, as data.

:data:`RULE_HINTS` maps a rule prefix — a linter's letters (``"F"``), optionally with
the first digits of its codes (``"E7"``, ``"F401"``) — to its severity, a short title
and a hint: what to change. :func:`rule_hint` finds the longest prefix of a code; the
letters must match exactly, so ``ERA001`` is not taken for pycodestyle's ``E``.

Severities, worst first: ``error`` (pyflakes, bugbear, syntax: likely bugs),
``warning`` (security, async, anything else a linter flags), ``style`` (pycodestyle,
the PEP 8 part: layout and naming) and ``refactor`` (simplify, complexity,
comprehensions, upgrades: the code works, it could read better).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "DEFAULT_MAX_COMPLEXITY",
    "DEFAULT_PREVIEW_RULES",
    "DEFAULT_RULES",
    "DEFAULT_TARGET_VERSION",
    "RULE_HINTS",
    "SEVERITIES",
    "SYNTAX_ERROR",
    "RuleHint",
    "Severity",
    "rule_hint",
]

Severity = Literal["error", "warning", "style", "refactor"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "style", "refactor")
"""Worst first: the order of the comment's table."""

SYNTAX_ERROR = "invalid-syntax"
"""The code ruff gives a file it cannot parse."""

DEFAULT_RULES: tuple[str, ...] = ("E", "W", "F", "B", "SIM", "C90")
"""pycodestyle (E, W: the PEP 8 part), pyflakes, bugbear, simplify, complexity."""
DEFAULT_PREVIEW_RULES: tuple[str, ...] = (
    # pycodestyle's indentation, whitespace and blank-line checks are still "preview"
    # rules of ruff. Each is selected by its exact code, so no other preview rule comes.
    # E226 and E241/E242 stay out, as in pycodestyle's own default.
    *("E111", "E112", "E113", "E114", "E115", "E116", "E117"),
    *("E201", "E202", "E203", "E204", "E211", "E221", "E222", "E223", "E224", "E225"),
    *("E227", "E228", "E231", "E251", "E252", "E261", "E262", "E265", "E266"),
    *("E271", "E272", "E273", "E274", "E275"),
    *("E301", "E302", "E303", "E304", "E305", "E306", "E502", "W391"),
)
DEFAULT_MAX_COMPLEXITY = 10
"""McCabe's own threshold for C901."""
DEFAULT_TARGET_VERSION = "py314"
"""With no configuration, the newest Python: new syntax is not reported as an error."""


@dataclass(frozen=True, slots=True)
class RuleHint:
    """What a rule family flags and what to do about it."""

    severity: Severity
    title: str
    hint: str


def _hint(severity: Severity, title: str, hint: str) -> RuleHint:
    return RuleHint(severity, title, hint)


RULE_HINTS: Mapping[str, RuleHint] = MappingProxyType(
    {
        SYNTAX_ERROR: _hint(
            "error", "Syntax error", "The file does not parse: nothing else in it was checked."
        ),
        # -- pyflakes: names and imports that cannot be right
        "F": _hint("error", "Pyflakes", "Likely a bug: a name, import or format that is wrong."),
        "F401": _hint(
            "error",
            "Unused import",
            "Remove the import, or list the name in `__all__` if it is re-exported on purpose.",
        ),
        "F811": _hint("error", "Redefinition", "Rename one of the two, or drop the dead one."),
        "F821": _hint(
            "error", "Undefined name", "Import or define the name: this fails when it runs."
        ),
        "F841": _hint(
            "error",
            "Unused variable",
            "Drop the assignment, or use `_` when the value is ignored on purpose.",
        ),
        # -- bugbear: code that runs, but not as its author meant
        "B": _hint("error", "Bugbear", "Likely a bug or a design problem: read the rule."),
        "B006": _hint(
            "error",
            "Mutable default argument",
            "Default to `None` and create the list or dict inside: the default is shared "
            "by every call.",
        ),
        "B008": _hint(
            "error",
            "Call in a default argument",
            "The call runs once, at definition: default to `None` and call inside.",
        ),
        "B904": _hint(
            "error",
            "raise without from",
            "Inside `except`, write `raise ... from err` (or `from None`) to keep the cause.",
        ),
        # -- pycodestyle: the PEP 8 part
        "E": _hint("style", "PEP 8", "Follow PEP 8's layout; `ruff format` fixes most of it."),
        "E1": _hint("style", "Indentation", "Indent by four spaces, consistently."),
        "E2": _hint("style", "Whitespace", "Spaces around operators and after commas, per PEP 8."),
        "E3": _hint(
            "style",
            "Blank lines",
            "Two blank lines around top-level definitions, one between methods.",
        ),
        "E4": _hint("style", "Imports", "One import per line, all at the top of the module."),
        "E501": _hint(
            "style",
            "Line too long",
            "Break the line inside brackets, or extract a well-named variable.",
        ),
        "E7": _hint("style", "Statements", "One statement per line; compare the PEP 8 way."),
        "E711": _hint("style", "Comparison to None", "Write `is None` / `is not None`."),
        "E712": _hint("style", "Comparison to True/False", "Write `if cond:` / `if not cond:`."),
        "E721": _hint("style", "Type comparison", "Use `isinstance()` (or `is` for exact types)."),
        "E722": _hint(
            "style",
            "Bare except",
            "Catch the exceptions you expect: a bare `except:` also catches KeyboardInterrupt.",
        ),
        "E731": _hint("style", "Lambda assignment", "Use `def`: the function gets a real name."),
        "E741": _hint(
            "style", "Ambiguous name", "Avoid `l`, `O` and `I`: pick a descriptive name."
        ),
        "E9": _hint("error", "Syntax or read error", "The file could not be read or parsed."),
        "W": _hint("style", "PEP 8 warning", "Whitespace and escapes PEP 8 asks for."),
        "W291": _hint("style", "Trailing whitespace", "Strip trailing spaces (an editor can)."),
        "W293": _hint("style", "Whitespace on a blank line", "Strip it (an editor can)."),
        "W605": _hint(
            "error",
            "Invalid escape sequence",
            'Use a raw string (`r"\\d"`) or double the backslash.',
        ),
        # -- refactoring: the code works; it could read better
        "SIM": _hint("refactor", "Simplify", "A simpler spelling of the same logic exists."),
        "SIM102": _hint(
            "refactor", "Nested if", "Merge the two conditions with `and` into one `if`."
        ),
        "SIM108": _hint(
            "refactor", "if/else assignment", "Use a conditional expression: `x = a if c else b`."
        ),
        "SIM118": _hint("refactor", "key in dict.keys()", "Write `key in mapping`."),
        "C90": _hint(
            "refactor",
            "Too complex",
            "Split the function: extract helpers, return early, or use a lookup table "
            "instead of a chain of `if`s.",
        ),
        "C4": _hint("refactor", "Comprehensions", "A comprehension or literal says it directly."),
        "UP": _hint("refactor", "Upgrade", "Newer Python has a simpler spelling for this."),
        "PIE": _hint("refactor", "Unnecessary code", "Remove what does nothing."),
        "RET": _hint("refactor", "Returns", "Simplify the function's return paths."),
        "PERF": _hint("refactor", "Performance", "A faster idiom does the same."),
        "PLR": _hint("refactor", "Refactor", "Reduce the size or the branches of this code."),
        "I": _hint("style", "Import order", "Sort the imports (`ruff check --fix` can)."),
        "N": _hint("style", "Naming", "Name things the PEP 8 way."),
        "D": _hint("style", "Docstrings", "Write the docstring as the project's convention asks."),
        "PLE": _hint("error", "Pylint error", "Likely a bug: read the rule."),
        "S": _hint("warning", "Security", "Check whether untrusted input can reach this."),
        "ASYNC": _hint("warning", "Async", "This blocks or misuses the event loop."),
        "T20": _hint("warning", "print", "Use logging in library and service code."),
    }
)

_DEFAULT = RuleHint("warning", "Linter finding", "Read the rule's documentation.")
_CODE = re.compile(r"^([A-Z]+)([0-9]*)$")


def rule_hint(code: str) -> RuleHint:
    """The entry of the longest prefix of ``code`` (same letters, leading digits)."""
    if code in RULE_HINTS:
        return RULE_HINTS[code]
    match = _CODE.match(code)
    if match is None:
        return _DEFAULT
    letters, digits = match.groups()
    for end in range(len(digits), -1, -1):
        found = RULE_HINTS.get(letters + digits[:end])
        if found is not None:
            return found
    return _DEFAULT
