"""The bot's lead detection in a simulated server: which messages count, and the
optional acknowledgement and role (the CRM is a recording stand-in here; the real
database is tests/integration/community/test_bot_crm.py's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest

from backbone.community.leads import LeadMatch
from tests.unit.community._server import Server, settings, simulated_server


class RecordingCrm:
    """Records each lead the bot would write; answers ``counted``."""

    def __init__(self) -> None:
        self.leads: list[tuple[int, str]] = []
        self.counted: bool | None = True
        self.pending: dict[int, object] = {}

    async def lead(self, message: discord.Message, found: LeadMatch) -> bool | None:
        self.leads.append((message.id, found.rule))
        return self.counted


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Server]:
    """The bot with the default lead channels, its CRM recording."""
    async with simulated_server(monkeypatch) as running:
        running.bot.crm = RecordingCrm()  # type: ignore[assignment]
        yield running


def _leads(server: Server) -> list[tuple[int, str]]:
    crm: Any = server.bot.crm
    return list(crm.leads)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("How do I sign up?", "sign up"),
        ("where is the signup page", "sign up"),
        ("SIGN-UP link please", "sign up"),
        ("how can I buy a licence", "how (do|can) i buy"),
        ("What's the pricing?", "(price|prices|pricing)"),
        ("price?", "(price|prices|pricing)"),
    ],
)
async def test_each_phrase_variant_is_a_lead(server: Server, text: str, rule: str) -> None:
    """The phrase variants in a lead channel are recorded with their rule."""
    alice = server.member("alice")
    message = await server.say(text, channel="general-chat", member=alice)
    assert _leads(server) == [(message.id, rule)]


@pytest.mark.parametrize("text", ["this is priceless", "overpriced", "designup", "hello"])
async def test_near_misses_are_not_leads(server: Server, text: str) -> None:
    """Words that merely contain a phrase are not leads."""
    await server.say(text, channel="product-questions", member=server.member("alice"))
    assert _leads(server) == []


async def test_only_members_in_lead_channels_count(server: Server) -> None:
    """Other channels, bots and the bot itself are ignored; a lead channel named by id
    counts."""
    alice = server.member("alice")
    await server.say("pricing?", channel="random", member=alice)
    await server.say("pricing?", channel="introductions", member=alice)
    helper = await server.join("helper-bot", bot=True)
    await server.say("pricing?", channel="general-chat", member=helper)
    await server.say("pricing?", channel="general-chat", member=server.guild.me)
    assert _leads(server) == []
    random = server.channel("random")
    server.bot.settings = settings(lead_channels=[str(random.id)])
    message = await server.say("pricing?", channel="random", member=alice)
    assert _leads(server) == [(message.id, "(price|prices|pricing)")]


async def test_direct_messages_are_ignored(server: Server) -> None:
    """A lead phrase in a DM records nothing."""
    alice = server.member("alice")
    dm = await alice.create_dm()
    await dpytest.message("what is the pricing", channel=dm, member=alice)
    await dpytest.run_all_events()
    assert _leads(server) == []


async def test_no_acknowledgement_or_role_by_default(server: Server) -> None:
    """Off by default: a lead makes the bot say nothing and give no role."""
    alice = server.member("alice")
    await server.say("pricing please", channel="general-chat", member=alice)
    assert server.sent == []
    assert [role.name for role in alice.roles] == ["@everyone"]


async def test_the_acknowledgement_and_role_when_configured(server: Server) -> None:
    """A new lead gets the reply (pinging nobody) and the role; a message already
    counted gets neither again."""
    role = dpytest.backend.make_role("hot-lead", server.guild)
    server.bot.settings = settings(lead_acknowledgement="Thanks! @everyone", lead_role="hot-lead")
    alice = server.member("alice")
    message = await server.say("pricing please", channel="general-chat", member=alice)
    (payload,) = server.sent
    assert payload["content"] == "Thanks! @everyone"
    assert payload["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert payload["message_reference"]["message_id"] == message.id
    assert role in server.guild.get_member(alice.id).roles  # type: ignore[union-attr]
    crm: Any = server.bot.crm
    crm.counted = False
    await server.say("pricing again", channel="general-chat", member=alice)
    assert len(server.sent) == 1


async def test_a_missing_lead_role_is_logged(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """A configured role that does not exist: logged, no handler error."""
    server.bot.settings = settings(lead_role="no-such-role")
    await server.say("pricing", channel="general-chat", member=server.member("alice"))
    assert "lead_role_missing" in caplog.text
    assert "handler_failed" not in caplog.text


async def test_webhook_messages_are_not_members(server: Server) -> None:
    """A webhook's message (an integration posting) in a lead channel is not watched."""
    cog: Any = server.bot.get_cog("Leads")
    message = await server.say("hi", channel="general-chat", member=server.member("alice"))
    assert cog.watches(message)
    message.webhook_id = 1234
    assert not cog.watches(message)
