"""The consoles every command prints on: results on stdout, messages on stderr."""

from __future__ import annotations

import os
import sys

from rich.console import Console

__all__ = ["err_console", "out_console"]


def out_console() -> Console:
    """stdout, wide enough off a terminal for the tables' curl commands."""
    # Off a terminal rich assumes 80 columns, which would fold the table's curl commands.
    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(markup=False, width=200 if wide else None)


def err_console() -> Console:
    """stderr, lines never folded."""
    return Console(stderr=True, markup=False, soft_wrap=True)
