"""``backbone bot``: run the community Discord bot; ``backbone bot invite-url``: its invite.

The token comes from ``BACKBONE_COMMUNITY_DISCORD_TOKEN`` (or ``DISCORD_TOKEN``), in the
environment or ``.env``; without one the command says so and exits 2. Discord refusing
the token or the privileged intents is one line on stderr saying what to do, exit 1; the
token itself is never printed (and masked in the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from backbone.cli._console import err_console as _err

if TYPE_CHECKING:
    from backbone.community.bot import CommunityBot

__all__ = ["bot_app", "run_bot", "serve"]

NOT_CONFIGURED = (
    "no Discord token: set BACKBONE_COMMUNITY_DISCORD_TOKEN (or DISCORD_TOKEN) in the"
    " environment or .env; the developer portal's Bot tab has it (Reset Token)"
)
NO_CLIENT_ID = (
    "no application id: pass --client-id or set BACKBONE_COMMUNITY_APPLICATION_ID (the"
    " developer portal's General Information page shows it)"
)

bot_app = typer.Typer(
    help="The community Discord bot: run it (no subcommand) or print its invite URL.",
    invoke_without_command=True,
)


def _fail(err: Console, message: str) -> None:
    err.print(Text(f"backbone bot: {message}", style="bold red"))


async def serve(bot: CommunityBot, token: str) -> None:
    """Run ``bot`` until it is closed; SIGTERM (how ``backbone up`` stops it) closes it
    gracefully: the connection, then the pool, pending leads logged."""
    from backbone.community import bot as bot_module

    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []  # a reference, so the task is not collected
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        loop.add_signal_handler(
            signal.SIGTERM, lambda: closing.append(loop.create_task(bot.close()))
        )
    try:
        await bot_module.start_bot(bot, token)
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGTERM)


def run_bot(err: Console) -> int:
    """Run the bot until it is stopped; the exit code (2: not configured, 1: refused)."""
    from backbone.agents import AgentSettings, configure_crewai
    from backbone.community.bot import BotStartError, create_bot
    from backbone.community.config import CommunitySettings
    from backbone.core.logging import configure_logging, mask_secret

    try:
        settings = CommunitySettings()
        agents = AgentSettings()
    except ValidationError as exc:
        _fail(err, f"invalid settings: {exc}")
        return 2
    if settings.discord_token is None:
        _fail(err, NOT_CONFIGURED)
        return 2
    token = settings.discord_token.get_secret_value()
    mask_secret(token)
    configure_logging(level=settings.log_level, fmt=settings.log_format, file=settings.log_file)
    configure_crewai(data_dir=settings.data_dir)
    try:
        asyncio.run(serve(create_bot(settings, agents=agents), token))
    except BotStartError as exc:
        _fail(err, str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


@bot_app.callback()
def bot(ctx: typer.Context) -> None:
    """Run the bot in the foreground (Ctrl-C stops it)."""
    if ctx.invoked_subcommand is None:
        raise typer.Exit(run_bot(_err()))


@bot_app.command("invite-url")
def invite_url(
    client_id: Annotated[
        int | None,
        typer.Option(
            min=1, help="The application id (default: BACKBONE_COMMUNITY_APPLICATION_ID)."
        ),
    ] = None,
) -> None:
    """Print the URL that adds the bot to a server with the permissions it needs."""
    from backbone.community.bot import invite_url as make_url
    from backbone.community.config import CommunitySettings

    err = _err()
    try:
        settings = CommunitySettings()
    except ValidationError as exc:
        _fail(err, f"invalid settings: {exc}")
        raise typer.Exit(2) from None
    application = client_id or settings.application_id
    if application is None:
        _fail(err, NO_CLIENT_ID)
        raise typer.Exit(2)
    Console(soft_wrap=True, markup=False, highlight=False).print(make_url(application, settings))
