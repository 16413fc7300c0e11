"""The welcome message: a configured template filled with one member's details.

The template is the operators' (validated at load: only ``{mention}``, ``{name}``,
``{server}`` and ``{member_count}``, plain, at most :data:`MAX_TEMPLATE_CHARS`). The
member's display name and the server's name are anybody's, so they go in as *data*:
:func:`escape_discord_text` neutralises their mention and markdown syntax, so that a
member called ``@everyone`` or ``**<@&1>**`` can neither ping nor format.

That escaping is the second lock. The first is the bot's: it sends the welcome with
allowed mentions limited to that one member (``AllowedMentions(users=[member])``, every
other kind off), so even a template or a name that slipped through could ping nobody else.
"""

from __future__ import annotations

import re
import string
import unicodedata

__all__ = [
    "MAX_MESSAGE_CHARS",
    "MAX_TEMPLATE_CHARS",
    "WELCOME_PLACEHOLDERS",
    "WelcomeTemplateError",
    "escape_discord_text",
    "render_welcome",
    "validate_welcome_template",
]

MAX_MESSAGE_CHARS = 2000
"""Discord refuses a longer message."""
MAX_TEMPLATE_CHARS = 1500
"""Leaves room in a message for the names the template takes."""
WELCOME_PLACEHOLDERS = frozenset({"mention", "name", "server", "member_count"})

_USER_MENTION = re.compile(r"<@!?[0-9]{1,20}>")
# Markdown (bold, italics, strike, spoilers, quotes, code, headings, lists, masked links)
# and the '<' of mentions, channel links and timestamps; backslash first of all.
_MARKDOWN = re.compile(r"([\\*_~|><`#\[\]-])")
_ZERO_WIDTH_SPACE = "\u200b"


class WelcomeTemplateError(ValueError):
    """A welcome template that uses more than the four placeholders, or is too long."""


def validate_welcome_template(template: str) -> str:
    """``template`` unchanged, or :class:`WelcomeTemplateError` saying what is wrong."""
    if not template.strip():
        raise WelcomeTemplateError("the welcome template is empty")
    if len(template) > MAX_TEMPLATE_CHARS:
        raise WelcomeTemplateError(
            f"the welcome template is over {MAX_TEMPLATE_CHARS} characters ({len(template)})"
        )
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise WelcomeTemplateError(f"the welcome template's braces do not pair: {exc}") from exc
    allowed = ", ".join(f"{{{name}}}" for name in sorted(WELCOME_PLACEHOLDERS))
    for _literal, field, spec, conversion in fields:
        if field is None:
            continue
        # "{name.attr}" and "{name[0]}" would reach into objects: only bare names.
        if field not in WELCOME_PLACEHOLDERS:
            raise WelcomeTemplateError(
                f"unknown placeholder {{{field}}} in the welcome template; use {allowed}"
                " (and {{ }} for a literal brace)"
            )
        if spec or conversion:
            raise WelcomeTemplateError(
                f"placeholder {{{field}}} takes no conversion or format spec in the template"
            )
    return template


def escape_discord_text(text: str) -> str:
    """``text`` as inert Discord data: one line, no control or format characters, markdown
    characters backslash-escaped, and a zero-width space after every ``@``."""
    kept = (
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in {"Cc", "Cf"}
    )
    one_line = " ".join("".join(kept).split())
    return _MARKDOWN.sub(r"\\\1", one_line).replace("@", "@" + _ZERO_WIDTH_SPACE)


def render_welcome(
    template: str, *, mention: str, name: str, server: str, member_count: int
) -> str:
    """The welcome for one member, at most :data:`MAX_MESSAGE_CHARS` characters.

    ``mention`` must be the member's own ``<@id>`` (``member.mention``); ``name`` and
    ``server`` are escaped (:func:`escape_discord_text`).
    """
    validate_welcome_template(template)
    if not _USER_MENTION.fullmatch(mention):
        raise ValueError("mention must be a user mention such as <@123>")
    if member_count < 0:
        raise ValueError("member_count must not be negative")
    text = template.format_map(
        {
            "mention": mention,
            "name": escape_discord_text(name),
            "server": escape_discord_text(server),
            "member_count": member_count,
        }
    )
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 1] + "…"
    return text
