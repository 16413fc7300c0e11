"""The community CRM Discord bot's Discord-free parts.

- :mod:`~backbone.community.config`: :class:`CommunitySettings` (``BACKBONE_COMMUNITY_*``,
  the token also as ``DISCORD_TOKEN``) and :func:`get_settings`.
- :mod:`~backbone.community.leads`: :class:`PhraseMatcher`, the hot-lead phrase rules
  (``sign up``, ``how (do|can) i buy``...) compiled once into a linear-time regex.
- :mod:`~backbone.community.welcome`: :func:`render_welcome`, a template filled with a
  member's details, their name and the server's escaped so they can neither ping nor
  format.
- :mod:`~backbone.community.summary`: :func:`summarize_day`, ``!summarize-day``'s brain:
  a channel's day of :class:`ChatMessage` summarised by the Community Summariser crew
  over measured topics (yake), sentiment (VADER) and open questions;
  :func:`render_summary` (inert Discord markdown) and :func:`split_message`.
- :func:`create_app` (:mod:`~backbone.community.main`): the CRM's read-only HTTP API
  (port 8004, a bearer token): members by status, one with its lead events, a CSV export.
- :mod:`~backbone.community.bot`: :func:`create_bot`, the discord.py bot (imported on
  first use, so the parts above run without discord.py).
"""

from typing import TYPE_CHECKING

from backbone.community.config import (
    DEFAULT_WELCOME_TEMPLATE,
    DEVELOPMENT_API_TOKEN,
    CommunitySettings,
    get_settings,
)
from backbone.community.leads import (
    DEFAULT_LEAD_PHRASES,
    EXCERPT_CHARS,
    LeadMatch,
    PhraseMatcher,
    PhraseRuleError,
)
from backbone.community.main import create_app
from backbone.community.summary import (
    MAX_DISCORD_MESSAGE,
    SUMMARY_WINDOW,
    ChatMessage,
    DayLead,
    DaySummary,
    render_summary,
    split_message,
    summarize_day,
)
from backbone.community.welcome import (
    MAX_MESSAGE_CHARS,
    MAX_TEMPLATE_CHARS,
    WELCOME_PLACEHOLDERS,
    WelcomeTemplateError,
    escape_discord_text,
    render_welcome,
    validate_welcome_template,
)

if TYPE_CHECKING:
    from backbone.community.bot import create_bot

__all__ = [
    "DEFAULT_LEAD_PHRASES",
    "DEFAULT_WELCOME_TEMPLATE",
    "DEVELOPMENT_API_TOKEN",
    "EXCERPT_CHARS",
    "MAX_DISCORD_MESSAGE",
    "MAX_MESSAGE_CHARS",
    "MAX_TEMPLATE_CHARS",
    "SUMMARY_WINDOW",
    "WELCOME_PLACEHOLDERS",
    "ChatMessage",
    "CommunitySettings",
    "DayLead",
    "DaySummary",
    "LeadMatch",
    "PhraseMatcher",
    "PhraseRuleError",
    "WelcomeTemplateError",
    "create_app",
    "create_bot",
    "escape_discord_text",
    "get_settings",
    "render_summary",
    "render_welcome",
    "split_message",
    "summarize_day",
    "validate_welcome_template",
]


def __getattr__(name: str) -> object:
    # Only the bot needs discord.py: it is imported when create_bot is first asked for.
    if name == "create_bot":
        from backbone.community.bot import create_bot

        return create_bot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
