"""The one history reader: newest-first pages walked back to a time, up to a cap."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from backbone.community.history import channel_history, read_recent

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _messages(*hours_ago: float) -> list[Any]:
    """Messages sent ``hours_ago`` before NOW, oldest first, ids in that order."""
    return [
        SimpleNamespace(id=i, created_at=NOW - timedelta(hours=h))
        for i, h in enumerate(sorted(hours_ago, reverse=True))
    ]


async def _newest_first(messages: list[Any]) -> AsyncIterator[Any]:
    for message in reversed(messages):
        yield message


async def test_only_the_window_is_kept_oldest_first() -> None:
    """Messages older than ``since`` end the read; the rest come oldest first."""
    messages = _messages(30, 25, 23, 2, 0)
    read, capped = await read_recent(
        _newest_first(messages), since=NOW - timedelta(hours=24), cap=10
    )
    assert [m.id for m in read] == [2, 3, 4]
    assert capped is False


async def test_the_cap_keeps_the_newest_and_says_so() -> None:
    """More in the window than the cap: the newest ``cap``, and True."""
    read, capped = await read_recent(
        _newest_first(_messages(3, 2, 1, 0)), since=NOW - timedelta(hours=5), cap=2
    )
    assert [m.id for m in read] == [2, 3]
    assert capped is True


async def test_exactly_the_cap_is_not_capped() -> None:
    """A window of exactly ``cap`` messages is complete."""
    read, capped = await read_recent(
        _newest_first(_messages(2, 1)), since=NOW - timedelta(hours=5), cap=2
    )
    assert ([m.id for m in read], capped) == ([0, 1], False)


async def test_the_read_stops_at_the_first_old_message() -> None:
    """Nothing past the first message older than ``since`` is pulled from the source."""
    pulled: list[int] = []

    async def source() -> AsyncIterator[Any]:
        for message in reversed(_messages(50, 40, 30, 1)):
            pulled.append(message.id)
            yield message

    await read_recent(source(), since=NOW - timedelta(hours=24), cap=10)
    assert pulled == [3, 2]


async def test_a_cap_below_one_is_refused() -> None:
    """cap=0 is a programming error."""
    with pytest.raises(ValueError, match="cap"):
        await read_recent(_newest_first([]), since=NOW, cap=0)


def test_the_channel_history_is_read_newest_first_without_a_limit() -> None:
    """The only call of Discord's history: no limit, newest first, no ``after``."""
    calls: list[dict[str, Any]] = []
    channel = SimpleNamespace(history=lambda **options: calls.append(options) or "pages")
    assert channel_history(channel) == "pages"  # type: ignore[arg-type,comparison-overlap]
    assert calls == [{"limit": None, "oldest_first": False}]
