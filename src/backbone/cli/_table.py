"""The table ``backbone up`` prints once all is ready: what runs where, and a command to try."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table
from rich.text import Text

from backbone.cli._config import mask_url

__all__ = ["Row", "build_table", "curl_command", "psql_command", "redis_command"]

Which = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table."""

    name: str
    url: str
    try_it: str
    note: str = ""


def curl_command(base_url: str, path: str, method: str = "GET") -> str:
    """``curl -i BASE/PATH``, with ``-X METHOD`` unless it is a GET."""
    verb = "" if method == "GET" else f"-X {method} "
    return f"curl -i {verb}{shlex.quote(base_url.rstrip('/') + path)}"


def _tool(name: str, bundled: Path | None, which: Which) -> str:
    # Prefer what is on PATH; else the binary the pip package ships, if any.
    if which(name) or bundled is None:
        return name
    return shlex.quote(str(bundled))


def redis_command(url: str, *, bundled: Path | None = None, which: Which = shutil.which) -> str:
    """A ``redis-cli`` ping against ``url``."""
    return f"{_tool('redis-cli', bundled, which)} -u {shlex.quote(mask_url(url))} ping"


def psql_command(url: str, *, bundled: Path | None = None, which: Which = shutil.which) -> str:
    """A ``psql`` ``select 1`` against ``url``."""
    return f"{_tool('psql', bundled, which)} {shlex.quote(mask_url(url))} -c 'select 1'"


def build_table(rows: Iterable[Row]) -> Table:
    """The rich table of ``rows``."""
    table = Table(title="backbone up", title_justify="left", expand=False)
    table.add_column("service", style="bold")
    table.add_column("url", overflow="fold")
    table.add_column("try it", overflow="fold")
    table.add_column("process", style="dim", overflow="fold")
    for row in rows:
        # Text, not str: a URL like http://[::1]:9003 is not rich markup.
        table.add_row(Text(row.name), Text(mask_url(row.url)), Text(row.try_it), Text(row.note))
    return table
