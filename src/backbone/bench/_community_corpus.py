"""The community benchmark's day of chat: deterministic messages, a share of them leads.

:func:`chat_day` writes ``count`` messages as a busy product channel might hold them:
questions, praise, complaints, small talk, each from one of a few hundred authors, spread
over the last 24 hours. ``lead_share`` of them carry one of the default lead phrases
(``how do I buy``, ``pricing``, ``sign-up``...), written the ways people write them. The
same arguments give the same messages, so two runs (and the baseline beside ours) read
the same day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["FIRST_MESSAGE_ID", "ChatLine", "chat_day"]

FIRST_MESSAGE_ID = 1_200_000_000_000_000_000
"""Message ids start here (Discord snowflakes are 64-bit; these are plausible ones)."""
_AUTHORS = 300
_FIRST_USER_ID = 900_000_000_000_000_000

_SUBJECTS = (
    "the new dashboard",
    "the mobile app",
    "the API docs",
    "the webhook retries",
    "the export to CSV",
    "dark mode",
    "the search page",
    "the onboarding emails",
    "the Python SDK",
    "the status page",
)
_PLAIN = (
    "I really like {s}, it saved me a lot of time this week.",
    "Has anyone else seen {s} time out since yesterday?",
    "{s} is broken again for me, which is frustrating.",
    "Thanks for the quick fix on {s}, works great now!",
    "Is there a way to configure {s} per team?",
    "Just shipped our integration using {s}, pretty smooth overall.",
    "I can't find where {s} keeps its settings, any hints?",
    "Good morning everyone, coffee first and then {s}.",
    "The latest update to {s} feels slower than before.",
    "Could someone explain how {s} handles errors?",
)
_LEADS = (
    "How do I buy the team plan for {s}?",
    "What is the pricing for {s} with 50 seats?",
    "Where do I sign-up for {s}? Want to try it today.",
    "how can i buy a licence, our company wants {s}",
    "Is there a free trial of {s} before we purchase?",
    "Could we get a quote for {s} for the whole department?",
    "signup link for {s} please, my manager approved it",
)


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One message of the day, as the bot would read it."""

    message_id: int
    author_id: int
    author_name: str
    content: str
    created_at: datetime
    lead: bool
    """True when it was written with a lead phrase (what the detector should find)."""


def chat_day(
    count: int, *, lead_share: float, seed: int = 12, now: datetime | None = None
) -> list[ChatLine]:
    """``count`` messages over the 24 hours before ``now``, oldest first; ``lead_share``
    of them (rounded) carry a lead phrase."""
    if count < 0 or not 0.0 <= lead_share <= 1.0:
        raise ValueError("need count >= 0 and 0 <= lead_share <= 1")
    rng = random.Random(seed)  # noqa: S311 - reproducible text, not security
    end = now or datetime.now(UTC)
    leads = set(rng.sample(range(count), round(count * lead_share)))
    step = timedelta(days=1) / max(count, 1)
    lines = []
    for index in range(count):
        author = rng.randrange(_AUTHORS)
        templates = _LEADS if index in leads else _PLAIN
        content = rng.choice(templates).format(s=rng.choice(_SUBJECTS))
        lines.append(
            ChatLine(
                message_id=FIRST_MESSAGE_ID + index,
                author_id=_FIRST_USER_ID + author,
                author_name=f"member-{author}",
                content=content[0].upper() + content[1:],
                created_at=end - timedelta(days=1) + step * index,
                lead=index in leads,
            )
        )
    return lines
