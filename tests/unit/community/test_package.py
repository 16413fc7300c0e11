"""The package's public surface, and its independence from discord.py (and from CrewAI
and yake until a summary runs)."""

from __future__ import annotations

import subprocess
import sys

import backbone.community


def test_all_is_sorted_and_resolves() -> None:
    """Every public name is in ``__all__``, sorted as ruff's RUF022 sorts it (constants,
    then classes, then functions), and each resolves."""
    exported = backbone.community.__all__
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n[0].islower(), n))
    for name in exported:
        assert getattr(backbone.community, name) is not None


def test_the_summariser_is_public() -> None:
    """The bot codes against these names of the daily summary."""
    for name in (
        "ChatMessage",
        "DayLead",
        "DaySummary",
        "MAX_DISCORD_MESSAGE",
        "render_summary",
        "split_message",
        "summarize_day",
    ):
        assert name in backbone.community.__all__
    assert backbone.community.MAX_DISCORD_MESSAGE == 2000


def test_importing_the_package_does_not_import_discord() -> None:
    """The pure parts run where discord.py is not installed."""
    code = (
        "import sys, backbone.community; "
        "print([m for m in ('discord', 'crewai', 'yake') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_crm_api_factory_is_exported() -> None:
    """``backbone.community.create_app`` is the CRM API's factory (``backbone serve
    community``)."""
    from backbone.community.main import create_app

    assert backbone.community.create_app is create_app
