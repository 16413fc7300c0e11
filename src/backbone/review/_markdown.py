"""Untrusted text made safe for a GitHub comment: it pings no one and links nothing.

Everything from a pull request (paths, code, linter messages quoting it, a model's
notes) reaches the comment through :func:`neutralize`:

- **Mentions.** GitHub notifies ``@user`` and ``@org/team`` wherever the rendered text
  spells them; a zero-width joiner after the ``@`` (also the full-width one, U+FF20) breaks
  the mention and stays invisible. ``@everyone``/``@here`` are covered alike. HTML
  character references that would render as ``@`` or ``#`` (``&#64;``, ``&commat;``)
  are escaped, so they stay text.
- **Cross-references.** ``#123``, ``owner/repo#123`` and ``GH-123`` would link, and
  notify, another issue: the same joiner goes before the number.
- **HTML.** ``<`` outside code becomes ``&lt;``: no tags, no hidden comments (no
  second ``<!-- backbone-review -->`` marker), no images.
- **Bidirectional controls** (the "Trojan Source" characters) are removed.

Neutralising twice gives the same text. Inside code spans the joiners are still added
(harmless there), while ``<`` and ``&`` are left alone: code shows as written.
"""

from __future__ import annotations

import re

__all__ = ["ZWJ", "cell", "code", "neutralize"]

ZWJ = "\u200d"
"""The zero-width joiner: invisible, and not part of any name GitHub links."""

_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_MENTION = re.compile(r"([@\uff20])(?=[A-Za-z0-9_])")
_REFERENCE = re.compile(r"(#|\bGH-)(?=[0-9])", re.IGNORECASE)
_REFERENCE_FULLWIDTH = re.compile(r"([#\uff03])(?=[0-9\uff10-\uff19])")
_CHARACTER_REFERENCE = re.compile(r"&(?=#[0-9]|#[xX][0-9a-fA-F]|commat;|num;)")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _names(text: str) -> str:
    text = _MENTION.sub(lambda m: m.group(1) + ZWJ, text)
    text = _REFERENCE.sub(lambda m: m.group(1) + ZWJ, text)
    return _REFERENCE_FULLWIDTH.sub(lambda m: m.group(1) + ZWJ, text)


def _prose(text: str) -> str:
    text = _CHARACTER_REFERENCE.sub("&amp;", text)
    return _names(text.replace("<", "&lt;"))


def neutralize(text: str) -> str:
    """``text`` as Markdown that mentions, references and hides nothing (see the module)."""
    text = _BIDI.sub("", text)
    parts: list[str] = []
    end = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_prose(text[end : span.start()]))
        parts.append(_names(span.group(0)))
        end = span.end()
    parts.append(_prose(text[end:]))
    return "".join(parts)


def code(text: str) -> str:
    """``text`` as one inline code span, whatever backticks it holds; neutralised."""
    text = " ".join(text.splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return neutralize(f"{fence}{pad}{text}{pad}{fence}")


def cell(markdown: str) -> str:
    """Already-safe Markdown as one table cell: one line, its pipes escaped."""
    return " ".join(markdown.splitlines()).replace("|", "\\|")
