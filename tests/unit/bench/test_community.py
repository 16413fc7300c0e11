"""The community benchmark's day of chat and its options, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backbone.bench import CommunityOptions
from backbone.bench._community_corpus import chat_day
from backbone.community import DEFAULT_LEAD_PHRASES, PhraseMatcher

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_the_day_is_the_same_for_the_same_arguments() -> None:
    """Two runs (and ours beside its baseline) read exactly the same messages."""
    assert chat_day(500, lead_share=0.2, now=NOW) == chat_day(500, lead_share=0.2, now=NOW)
    assert chat_day(500, lead_share=0.2, now=NOW) != chat_day(500, lead_share=0.2, seed=1, now=NOW)


def test_the_lead_share_is_what_the_default_rules_find_and_nothing_else() -> None:
    """Every line written as a lead matches a default rule, and no other line does: the
    ledger's expected count is exact."""
    matcher = PhraseMatcher(DEFAULT_LEAD_PHRASES)
    day = chat_day(2_000, lead_share=0.1, now=NOW)
    assert sum(line.lead for line in day) == 200
    assert [line.lead for line in day] == [matcher.match(line.content) is not None for line in day]


def test_the_day_spans_the_last_24_hours_oldest_first_with_unique_ids() -> None:
    """Messages fall within the day before ``now``, in order, each id once."""
    day = chat_day(300, lead_share=0.5, now=NOW)
    assert all(NOW - timedelta(days=1) <= line.created_at < NOW for line in day)
    assert [line.created_at for line in day] == sorted(line.created_at for line in day)
    assert len({line.message_id for line in day}) == 300


@pytest.mark.parametrize(
    ("count", "share"), [(-1, 0.1), (10, -0.1), (10, 1.5)], ids=["count", "low", "high"]
)
def test_a_bad_day_is_refused(count: int, share: float) -> None:
    """A negative count or a share outside [0, 1] is a ValueError."""
    with pytest.raises(ValueError, match="count"):
        chat_day(count, lead_share=share)


@pytest.mark.parametrize(
    "options",
    [
        {"messages": 0},
        {"concurrency": 0},
        {"summary_messages": 0},
        {"rounds": 0},
        {"lead_share": 1.01},
    ],
)
def test_options_out_of_range_are_refused(options: dict[str, float]) -> None:
    """Sizes below 1 and a lead share outside [0, 1] are refused before anything starts."""
    with pytest.raises(ValueError, match=r"must be >= 1|between 0 and 1"):
        CommunityOptions(**options)  # type: ignore[arg-type]
