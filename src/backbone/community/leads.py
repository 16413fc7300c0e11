"""The hot-lead detector: phrase rules compiled once into one linear-time regex.

**Rule syntax.** A rule is words of letters and digits separated by spaces, with groups of
alternatives in parentheses: ``sign up``, ``how (do|can) i buy``,
``(how much|what) does it cost``. An alternative may be several words; groups do not nest.
Case and extra spaces in a rule do not matter. Anything else (``.*``, ``_``, an unpaired
parenthesis, an empty alternative) is refused at load with :class:`PhraseRuleError`.

**What matches.** Case-insensitively, a rule's first and last words stand on word
boundaries (letters and digits; ``_`` is a boundary, for Discord's ``_italics_``), and
between two words any run of up to :data:`MAX_SEPARATOR_CHARS` non-letter, non-digit
characters is allowed: ``sign up`` matches ``signup``, ``sign-up``, ``Sign   Up!``,
``**sign** up`` and ``sign_up``, but not ``signupsheet``, ``design up`` or
``sign upstairs``. A rule lists its inflections itself: the default price rule is
``(price|prices|pricing)``, so ``priceless`` and ``overpriced`` are no leads.

**Linear time.** Separators and words are disjoint character classes and separators are
bounded, so no input makes the regex backtrack more than a constant per character.

The excerpt is data for the CRM, not for display: control and format characters are
removed, whitespace collapsed; escaping for Discord happens where it is posted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "DEFAULT_LEAD_PHRASES",
    "EXCERPT_CHARS",
    "MAX_RULES",
    "MAX_RULE_CHARS",
    "MAX_SEPARATOR_CHARS",
    "LeadMatch",
    "PhraseMatcher",
    "PhraseRuleError",
]

DEFAULT_LEAD_PHRASES: tuple[str, ...] = (
    "sign up",
    "how (do|can) i buy",
    "(price|prices|pricing)",
    "free trial",
    "demo",
    "(purchase|subscribe)",
    "(quote|invoice)",
)
"""Sign-up, buying and pricing questions, and their usual peers."""
EXCERPT_CHARS = 200
MAX_RULES = 100
MAX_RULE_CHARS = 100
MAX_SEPARATOR_CHARS = 10

_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r"\(([^()]*)\)|([^\s()|]+)|(\S)")
_SEPARATOR = rf"[\W_]{{0,{MAX_SEPARATOR_CHARS}}}"
# A "word character" is a letter or a digit: "_" separates, like any punctuation.
_BEFORE = r"(?<![^\W_])"
_AFTER = r"(?![^\W_])"


class PhraseRuleError(ValueError):
    """A phrase rule outside the syntax (the message names the rule and the problem)."""


@dataclass(frozen=True, slots=True)
class LeadMatch:
    """A rule found in a message: ``text[start:end] == matched``."""

    rule: str
    """The rule as normalised (lowercase, single spaces)."""
    start: int
    end: int
    matched: str
    excerpt: str
    """At most :data:`EXCERPT_CHARS` characters around the match, cuts marked with '…'."""


class PhraseMatcher:
    """Finds the first phrase rule in a message (see the module for the syntax)."""

    def __init__(self, rules: Iterable[str]) -> None:
        normalised = list(dict.fromkeys(_normalise(rule) for rule in rules))
        if len(normalised) > MAX_RULES:
            raise PhraseRuleError(f"at most {MAX_RULES} lead phrase rules, not {len(normalised)}")
        self.rules: tuple[str, ...] = tuple(normalised)
        groups = [f"(?P<r{i}>{_rule_regex(rule)})" for i, rule in enumerate(self.rules)]
        self._regex = (
            re.compile(f"{_BEFORE}(?:{'|'.join(groups)}){_AFTER}", re.IGNORECASE)
            if groups
            else None
        )

    def match(self, text: str) -> LeadMatch | None:
        """The earliest rule in ``text`` (the first listed on a tie), or None."""
        if self._regex is None:
            return None
        found = self._regex.search(text)
        if found is None or found.lastgroup is None:
            return None
        start, end = found.span()
        return LeadMatch(
            rule=self.rules[int(found.lastgroup[1:])],
            start=start,
            end=end,
            matched=found.group(),
            excerpt=_excerpt(text, start, end),
        )


def _normalise(rule: str) -> str:
    text = " ".join(rule.lower().split())
    if not text:
        raise PhraseRuleError("a lead phrase rule is empty")
    if len(text) > MAX_RULE_CHARS:
        raise PhraseRuleError(
            f"lead phrase rule {text[:30]!r}… is over {MAX_RULE_CHARS} characters"
        )
    return text


def _rule_regex(rule: str) -> str:
    parts: list[str] = []
    for token in _TOKEN.finditer(rule):
        group, words, other = token.groups()
        if group is not None:
            alternatives = [alternative.strip() for alternative in group.split("|")]
            if len(alternatives) < 2:
                raise PhraseRuleError(f"lead phrase rule {rule!r}: a group needs two or more")
            if not all(alternatives):
                raise PhraseRuleError(f"lead phrase rule {rule!r}: an empty alternative")
            # Longest first, so the reported span is the longest alternative that fits.
            alternatives.sort(key=len, reverse=True)
            parts.append("(?:" + "|".join(_words_regex(rule, a) for a in alternatives) + ")")
        elif words is not None:
            parts.append(_words_regex(rule, words))
        elif other == "|":
            raise PhraseRuleError(f"lead phrase rule {rule!r}: '|' outside parentheses")
        else:
            raise PhraseRuleError(f"lead phrase rule {rule!r}: unpaired or nested parentheses")
    return _SEPARATOR.join(parts)


def _words_regex(rule: str, words: str) -> str:
    pieces = words.split()
    if not all(_WORD.fullmatch(piece) for piece in pieces):
        raise PhraseRuleError(
            f"lead phrase rule {rule!r}: words are letters and digits only, "
            "with (a|b) groups of alternatives"
        )
    return _SEPARATOR.join(re.escape(piece) for piece in pieces)


def _excerpt(text: str, start: int, end: int) -> str:
    room = max(0, EXCERPT_CHARS - (end - start) - 2) // 2
    low, high = max(0, start - room), min(len(text), end + room)
    prefix = "…" if low > 0 else ""
    suffix = "…" if high < len(text) else ""
    return (prefix + _clean(text[low:high]) + suffix)[:EXCERPT_CHARS]


def _clean(text: str) -> str:
    """``text`` without control or format characters (newlines, escapes, bidi overrides,
    zero-width characters), whitespace collapsed to single spaces."""
    kept = (
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in {"Cc", "Cf"}
    )
    return " ".join("".join(kept).split())
