"""`backbone bot` and `backbone bot invite-url`: the refusals before Discord is reached,
the start-up errors said plainly, and the invite's scopes and permissions."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import discord
import pytest
from typer.testing import CliRunner

from backbone.agents import AgentSettings, _environment
from backbone.cli import app
from backbone.community import bot as bot_module
from backbone.community.bot import (
    INTENTS_HELP,
    LOGIN_REFUSED,
    BotStartError,
    create_bot,
    start_bot,
)
from tests.unit.community._server import settings

runner = CliRunner()
TOKEN = "MTIz.fake-token-never-shown"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No token or community setting from the machine, and no .env (run in tmp_path)."""
    for name in list(os.environ):
        if name.upper().startswith("BACKBONE_COMMUNITY_") or name.upper() == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_without_a_token_it_names_the_variables() -> None:
    """No token: exit 2 and both variable names on stderr."""
    result = runner.invoke(app, ["bot"])
    assert result.exit_code == 2
    assert "BACKBONE_COMMUNITY_DISCORD_TOKEN" in result.stderr
    assert "DISCORD_TOKEN" in result.stderr


def test_the_console_script_without_a_token_exits_2(tmp_path: Path) -> None:
    """`python -m backbone.cli bot` in a clean environment: exit 2, the variable named."""
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "backbone.cli", "bot"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "BACKBONE_COMMUNITY_DISCORD_TOKEN" in done.stderr
    assert done.stdout == ""


def test_a_refusal_at_start_up_is_one_line_without_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Discord refusing the intents: exit 1, the portal's switches named, no token shown."""
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    started: list[str] = []

    async def refused(bot: object, token: str) -> None:
        started.append(token)
        raise BotStartError(INTENTS_HELP)

    monkeypatch.setattr(bot_module, "start_bot", refused)
    result = runner.invoke(app, ["bot"])
    assert started == [TOKEN]
    assert result.exit_code == 1
    assert "Server Members Intent" in result.stderr
    assert TOKEN not in result.output + result.stderr


async def test_a_refused_token_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py's LoginFailure becomes the message to copy the token again."""
    bot = create_bot(settings())

    async def login(token: str) -> None:
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(bot, "login", login)
    with pytest.raises(BotStartError) as refused:
        await start_bot(bot, TOKEN)
    assert str(refused.value) == LOGIN_REFUSED
    assert TOKEN not in str(refused.value)
    assert refused.value.__cause__ is None


async def test_missing_privileged_intents_name_the_portal_switches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """discord.py's PrivilegedIntentsRequired becomes where to switch the intents on."""
    bot = create_bot(settings())

    async def login(token: str) -> None:
        return None

    async def sync() -> list[object]:
        return []

    async def connect() -> None:
        raise discord.PrivilegedIntentsRequired(None)

    monkeypatch.setattr(bot, "login", login)
    monkeypatch.setattr(bot.tree, "sync", sync)
    monkeypatch.setattr(bot, "connect", connect)
    with pytest.raises(BotStartError) as refused:
        await start_bot(bot, TOKEN)
    message = str(refused.value)
    for words in (
        "Bot tab",
        "Privileged Gateway Intents",
        "Server Members Intent",
        "Message Content Intent",
    ):
        assert words in message


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_the_invite_url_asks_for_the_minimal_permissions() -> None:
    """bot + applications.commands; view, send, read history, embed links; no roles."""
    result = runner.invoke(app, ["bot", "invite-url", "--client-id", "123456789012345678"])
    assert result.exit_code == 0
    url = result.stdout.strip()
    assert url.startswith("https://discord.com/oauth2/authorize?")
    query = _query(url)
    assert query["client_id"] == ["123456789012345678"]
    assert query["scope"] == ["bot applications.commands"]
    permissions = discord.Permissions(int(query["permissions"][0]))
    assert permissions == discord.Permissions(
        view_channel=True, send_messages=True, read_message_history=True, embed_links=True
    )


def test_the_invite_url_adds_manage_roles_for_a_lead_role(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lead role configured: Manage Roles too; the id from the setting."""
    monkeypatch.setenv("BACKBONE_COMMUNITY_LEAD_ROLE", "hot-lead")
    monkeypatch.setenv("BACKBONE_COMMUNITY_APPLICATION_ID", "42")
    result = runner.invoke(app, ["bot", "invite-url"])
    assert result.exit_code == 0
    query = _query(result.stdout.strip())
    assert query["client_id"] == ["42"]
    assert discord.Permissions(int(query["permissions"][0])).manage_roles


def test_the_invite_url_without_an_id_says_where_to_find_it() -> None:
    """No --client-id and no setting: exit 2 naming both."""
    result = runner.invoke(app, ["bot", "invite-url"])
    assert result.exit_code == 2
    assert "--client-id" in result.stderr
    assert "BACKBONE_COMMUNITY_APPLICATION_ID" in result.stderr


async def test_discord_out_of_reach_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """No route to discord.com at login: one line saying so, no traceback."""
    bot = create_bot(settings())

    async def login(token: str) -> None:
        raise aiohttp.ClientConnectionError("Cannot connect to host discord.com:443")

    monkeypatch.setattr(bot, "login", login)
    with pytest.raises(BotStartError, match=r"cannot reach Discord .*discord\.com:443"):
        await start_bot(bot, TOKEN)


def test_the_bot_runs_with_the_agent_settings_and_crewai_storage(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The summariser's engine (BACKBONE_LLM_*) is read at start and given to the bot;
    CrewAI's storage goes under the data dir; a clean stop is exit 0."""
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("BACKBONE_LLM_TEMPERATURE", "0.5")
    monkeypatch.setenv("BACKBONE_COMMUNITY_DATA_DIR", str(tmp_path / "data"))
    # configure_crewai sets both; they are put back after the test.
    monkeypatch.setenv("CREWAI_STORAGE_DIR", "unset")
    monkeypatch.setattr(_environment, "_root", _environment._root)
    seen: list[object] = []

    async def run(bot: Any, token: str) -> None:
        seen.append(bot.agents)

    monkeypatch.setattr(bot_module, "start_bot", run)
    result = runner.invoke(app, ["bot"])
    assert result.exit_code == 0
    (agents,) = seen
    assert isinstance(agents, AgentSettings)
    assert agents.temperature == 0.5
    assert os.environ["CREWAI_STORAGE_DIR"] == str((tmp_path / "data" / "crewai").resolve())


def test_invalid_agent_settings_are_refused_before_discord(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bad BACKBONE_LLM_* value: exit 2 naming it, nothing started."""
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("BACKBONE_LLM_TEMPERATURE", "9")
    started: list[str] = []

    async def run(bot: Any, token: str) -> None:
        started.append(token)

    monkeypatch.setattr(bot_module, "start_bot", run)
    result = runner.invoke(app, ["bot"])
    assert result.exit_code == 2
    assert "temperature" in result.stderr
    assert started == []


async def test_sigterm_closes_the_bot_gracefully(monkeypatch: pytest.MonkeyPatch) -> None:
    """`backbone up` stops the bot with SIGTERM: the bot is closed (its pool too) and the
    run returns, rather than the process dying mid-write."""
    from backbone.cli import _bot

    closed = asyncio.Event()

    class Bot:
        async def close(self) -> None:
            closed.set()

    async def run(bot: Any, token: str) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        await closed.wait()

    monkeypatch.setattr(bot_module, "start_bot", run)
    await asyncio.wait_for(_bot.serve(Bot(), TOKEN), timeout=10)  # type: ignore[arg-type]
    assert closed.is_set()
