"""A simulated Discord server (dpytest) around the community bot, for the bot's tests.

:func:`simulated_server` builds the bot with :func:`~backbone.community.bot.create_bot`,
runs its ``setup_hook`` (cogs, pool), and points dpytest at it. What the bot sends is
recorded as Discord would receive it (:attr:`Server.sent`: the JSON payloads, allowed
mentions included), and its history function reads the simulated server's messages (or
a list a test sets, :attr:`Server.history`).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import discord
import discord.abc
import discord.ext.test as dpytest
import pytest

from backbone.community.bot import CommunityBot, create_bot
from backbone.community.config import CommunitySettings

CHANNELS = ["introductions", "general-chat", "product-questions", "admin-reports", "random"]
MEMBERS = ["alice", "bob"]


def settings(**values: Any) -> CommunitySettings:
    """Settings from ``values`` only (no environment, no ``.env``)."""
    values.setdefault("database_url", None)
    return CommunitySettings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class SummaryCalls:
    """A stand-in for :mod:`backbone.community.summary` (same API) that records its calls
    and returns ``text`` as the rendered summary (or raises ``error``)."""

    text: str = "# Summary\n\nTopics: pricing."
    error: Exception | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def api(self) -> Any:
        """The module-like object the bot's ``summary_api`` returns."""
        return SimpleNamespace(
            summarize_day=self._summarize,
            render_summary=lambda summary: summary,
            split_message=lambda text, limit=2000: [
                text[i : i + limit] for i in range(0, len(text), limit)
            ],
        )

    def _summarize(self, messages: list[Any], **options: Any) -> str:
        self.calls.append({"messages": messages, **options})
        if self.error is not None:
            raise self.error
        return self.text


@dataclass
class Server:
    """The bot, its simulated server, and what it sent."""

    bot: CommunityBot
    guild: discord.Guild
    sent: list[dict[str, Any]]
    summary: SummaryCalls
    history: dict[int, list[discord.Message]] = field(default_factory=dict)
    """Per channel id, the messages the history function yields instead of the server's."""
    reads: list[int] = field(default_factory=list)
    """The ids of the channels whose history was read, in order."""

    def channel(self, name: str) -> discord.TextChannel:
        """The simulated text channel called ``name``."""
        found = discord.utils.get(self.guild.text_channels, name=name)
        assert found is not None
        return found

    def member(self, name: str) -> discord.Member:
        """The simulated member called ``name``."""
        found = discord.utils.get(self.guild.members, name=name)
        assert found is not None
        return found

    def messages_in(self, name: str) -> list[dict[str, Any]]:
        """The payloads the bot sent to the channel called ``name``."""
        channel_id = self.channel(name).id
        return [payload for payload in self.sent if payload["channel_id"] == channel_id]

    def make_admin(self, member: discord.Member, *, permissions: int = 0x20) -> discord.Role:
        """Give ``member`` a new role with ``permissions`` (default: Manage Server)."""
        role = dpytest.backend.make_role("admins", self.guild, permissions=permissions)
        dpytest.backend.update_member(member, roles=[role])
        return role

    async def join(self, name: str, *, bot: bool = False) -> discord.Member:
        """A new user called ``name`` joins, and every handler has run."""
        user = dpytest.backend.make_user(name, next(_discriminators))
        user.bot = bot
        member = await dpytest.member_join(0, user)
        await dpytest.run_all_events()
        return member

    async def say(self, content: str, *, channel: str, member: discord.Member) -> discord.Message:
        """``member`` posts ``content`` in the channel called ``channel``; handlers run."""
        message = await dpytest.message(content, channel=self.channel(channel), member=member)
        await dpytest.run_all_events()
        return message


_discriminators = (f"{n:04}" for n in itertools.count(100))


@contextlib.contextmanager
def _recording_sends(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Record the JSON payload of every message the bot sends, with its channel's id."""
    sent: list[dict[str, Any]] = []
    real = dpytest.backend.FakeHttp.send_message

    async def send_message(self: Any, channel_id: int, *, params: Any) -> Any:
        # dpytest's fake reads ``channel`` from its caller's locals: this frame's.
        channel = self.state.get_channel(channel_id)
        assert channel is not None
        sent.append({"channel_id": channel_id, **(params.payload or {})})
        return await real(self, channel_id, params=params)

    monkeypatch.setattr(dpytest.backend.FakeHttp, "send_message", send_message)
    yield sent


def _history_of(server: Server) -> Callable[[discord.abc.Messageable], AsyncIterator[Any]]:
    async def history(channel: discord.abc.Messageable) -> AsyncIterator[discord.Message]:
        channel_id = getattr(channel, "id", None)
        server.reads.append(channel_id)  # type: ignore[arg-type]
        messages = server.history.get(channel_id)  # type: ignore[arg-type]
        if messages is None:
            messages = [m for m in server.bot.cached_messages if m.channel.id == channel_id]
        for message in reversed(messages):
            yield message

    return history


@contextlib.asynccontextmanager
async def simulated_server(
    monkeypatch: pytest.MonkeyPatch,
    configured: CommunitySettings | None = None,
    *,
    pool: Any = None,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[Server]:
    """The bot in a simulated server with the usual channels and two members."""
    summary = SummaryCalls()
    holder: list[Server] = []
    options: dict[str, Any] = {"clock": clock} if clock else {}
    bot = create_bot(
        configured or settings(),
        pool=pool,
        history=lambda channel: _history_of(holder[0])(channel),
        summary_api=summary.api,
        **options,
    )
    with _recording_sends(monkeypatch) as raw:
        await bot._async_setup_hook()
        await bot.setup_hook()
        default_mentions = bot.allowed_mentions
        dpytest.configure(
            bot, guilds=["Test Server"], text_channels=CHANNELS, voice_channels=0, members=MEMBERS
        )
        # dpytest swaps the connection state, which holds the bot's allowed mentions.
        bot.allowed_mentions = default_mentions
        config = dpytest.get_config()
        server = Server(bot=bot, guild=config.guilds[0], sent=raw, summary=summary)
        holder.append(server)
        try:
            yield server
        finally:
            await dpytest.empty_queue()
            bot.ws = None  # type: ignore[assignment]  # dpytest's fake socket cannot close
            await bot.close()
