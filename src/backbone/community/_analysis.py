"""The day's analysis, the summariser's one tool: topics, sentiment, open questions.

A plain typed function over :class:`ChatMessage` values (no Discord, no CrewAI):

- topics: keywords extracted by yake from the day's text, each counted over every
  message that mentions it (as a whole word, any case) and quoted once (the most recent
  such message). Up to :data:`MAX_TOPICS`, those mentioned at least twice first; at least
  :data:`MIN_TOPICS` when the day has that many distinct keywords: a day of two short
  messages honestly gets fewer.
- sentiment: VADER's compound score per message with text, averaged; the label and the
  per-message counts use VADER's standard thresholds (``>= 0.05`` positive, ``<= -0.05``
  negative, neutral between).
- open questions: messages that end with ``?`` or start like a question (``how``,
  ``what``, ``can anyone``...), deduplicated by their words; most asked first, then the
  most recent; at most :data:`MAX_QUESTIONS`.

Cost is bounded whatever the day holds (5,000 messages of 2,000 characters: about 2 s
on one core): yake reads at most :data:`KEYWORD_TEXT_CHARS` characters, the
first :data:`KEYWORD_MESSAGE_CHARS` of each message and, past the cap, an evenly spaced
sample of the messages (:attr:`Analysis.sampled` says so); VADER scores the first
:data:`SENTIMENT_CHARS` characters of each message (its cost grows faster than the
text). Mention counts read every message in full. The same messages, in any order, give
the same analysis.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import (  # type: ignore[import-untyped]
        SentimentIntensityAnalyzer,
    )

__all__ = [
    "KEYWORD_MESSAGE_CHARS",
    "KEYWORD_TEXT_CHARS",
    "MAX_QUESTIONS",
    "MAX_TOPICS",
    "MIN_TOPICS",
    "SENTIMENT_CHARS",
    "Analysis",
    "ChatMessage",
    "Question",
    "Sentiment",
    "Topic",
    "analyse_messages",
    "keyword_text",
]

MAX_TOPICS = 7
MIN_TOPICS = 3
MAX_QUESTIONS = 5
KEYWORD_TEXT_CHARS = 60_000
"""The most text yake reads (it takes about 0.1 s per 50,000 characters)."""
KEYWORD_MESSAGE_CHARS = 300
"""The most of one message yake reads: one long message cannot fill the sample."""
SENTIMENT_CHARS = 300
"""The most of one message VADER scores (its cost grows with the square of the words)."""
EXCERPT_CHARS = 120
QUESTION_CHARS = 200
THRESHOLD = 0.05
"""VADER's standard threshold on the compound score."""

_CANDIDATES = 30
_QUESTION_START = re.compile(
    r"^(who|whom|whose|what|when|where|why|which|how"
    r"|(can|could|does|do|did|is|are|should|would|will|has|have)"
    r"\s+(i|we|you|anyone|anybody|someone|somebody|there)"
    r"|(can|could|does|did|is|was|should|would|will)\s+(it|this|that))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
SentimentLabel = Literal["positive", "neutral", "negative"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat message, already adapted from Discord's (``created_at`` aware, UTC)."""

    message_id: int
    author_id: int
    author_name: str
    content: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Topic:
    """One of the day's topics: the keyword, how many messages mention it, one quote,
    and the line shown for it (raw text: escape before posting)."""

    title: str
    line: str
    mentions: int
    excerpt: str


@dataclass(frozen=True, slots=True)
class Sentiment:
    """The day's overall sentiment, measured by VADER, and the basis of the label."""

    label: SentimentLabel
    compound: float
    positive: int
    neutral: int
    negative: int
    basis: str


@dataclass(frozen=True, slots=True)
class Question:
    """An open question of the day: its latest wording, who asked it last, how often."""

    text: str
    author_name: str
    asked: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the tool measured; ``sampled`` says when yake read a sample of the day."""

    message_count: int
    topics: tuple[Topic, ...]
    sentiment: Sentiment
    questions: tuple[Question, ...]
    sampled: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The analysis as JSON types (the tool's answer to the agent)."""
        return {
            "message_count": self.message_count,
            "topics": [
                {"title": t.title, "mentions": t.mentions, "line": t.line} for t in self.topics
            ],
            "sentiment": {
                "label": self.sentiment.label,
                "mean_compound": self.sentiment.compound,
                "positive": self.sentiment.positive,
                "neutral": self.sentiment.neutral,
                "negative": self.sentiment.negative,
                "basis": self.sentiment.basis,
            },
            "questions": [
                {"text": q.text, "asked": q.asked, "at": q.at.isoformat()} for q in self.questions
            ],
            "sampled": self.sampled,
        }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _ordered(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    return sorted(messages, key=lambda m: (m.created_at, m.message_id))


def keyword_text(messages: Sequence[ChatMessage]) -> tuple[str, bool]:
    """The text yake reads (one message a line, each cut at :data:`KEYWORD_MESSAGE_CHARS`,
    an evenly spaced sample past :data:`KEYWORD_TEXT_CHARS`) and whether it was sampled."""
    pieces = [_one_line(m.content)[:KEYWORD_MESSAGE_CHARS] for m in _ordered(messages)]
    pieces = [piece for piece in pieces if piece]
    total = sum(len(piece) + 1 for piece in pieces)
    if total <= KEYWORD_TEXT_CHARS:
        return "\n".join(pieces), False
    step = math.ceil(total / KEYWORD_TEXT_CHARS)
    return "\n".join(pieces[::step])[:KEYWORD_TEXT_CHARS], True


def _keywords(text: str) -> list[str]:
    """yake's candidates, best first (imported here: yake costs 0.2 s to import)."""
    import yake  # type: ignore[import-untyped]

    extractor = yake.KeywordExtractor(lan="en", n=2, dedup_lim=0.7, top=_CANDIDATES)
    found = extractor.extract_keywords(text)
    return [str(keyword) for keyword, _score in found]


def _mention_pattern(keyword: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in keyword.lower().split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def _excerpt(content: str, pattern: re.Pattern[str]) -> str:
    text = _one_line(content)
    if len(text) <= EXCERPT_CHARS:
        return text
    match = pattern.search(text.lower())
    start = max(0, (match.start() if match else 0) - EXCERPT_CHARS // 3)
    piece = text[start : start + EXCERPT_CHARS].strip()
    return ("…" if start else "") + piece + "…"


def _topic(keyword: str, messages: Sequence[ChatMessage], lowered: Sequence[str]) -> Topic:
    pattern = _mention_pattern(keyword)
    first = keyword.lower().split()[0]
    hits = [i for i, text in enumerate(lowered) if first in text and pattern.search(text)]
    if not hits:
        return Topic(keyword, "", 0, "")
    latest = messages[hits[-1]]
    excerpt = _excerpt(latest.content, pattern)
    plural = "message mentions" if len(hits) == 1 else "messages mention"
    line = f"{len(hits):,} {plural} it, e.g. {latest.author_name}: “{excerpt}”"
    return Topic(keyword, line, len(hits), excerpt)


def _overlaps(keyword: str, chosen: Sequence[Topic]) -> bool:
    words = set(keyword.lower().split())
    return any(
        words <= (other := set(topic.title.lower().split())) or other <= words for topic in chosen
    )


def _topics(messages: Sequence[ChatMessage], text: str) -> tuple[Topic, ...]:
    """Keywords counted over every message; discussed ones first, ordered by mentions."""
    if not text.strip():
        return ()
    lowered = [m.content.lower() for m in messages]
    candidates: list[Topic] = []
    for keyword in _keywords(text):
        if len(keyword) < 3 or not any(c.isalpha() for c in keyword):
            continue
        if _overlaps(keyword, candidates):
            continue
        topic = _topic(keyword, messages, lowered)
        if topic.mentions:
            candidates.append(topic)
    chosen = [t for t in candidates if t.mentions >= 2][:MAX_TOPICS]
    for topic in candidates:
        if len(chosen) >= MIN_TOPICS:
            break
        if topic not in chosen:
            chosen.append(topic)
    rank = {topic.title: i for i, topic in enumerate(candidates)}
    return tuple(sorted(chosen, key=lambda t: (-t.mentions, rank[t.title])))


@functools.cache
def _analyser() -> SentimentIntensityAnalyzer:
    """VADER's analyser, built once per process (it loads its lexicon)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _label(compound: float) -> SentimentLabel:
    if compound >= THRESHOLD:
        return "positive"
    if compound <= -THRESHOLD:
        return "negative"
    return "neutral"


def _sentiment(messages: Sequence[ChatMessage]) -> Sentiment:
    analyser = _analyser()
    texts = [_one_line(m.content)[:SENTIMENT_CHARS] for m in messages]
    scores = [float(analyser.polarity_scores(text)["compound"]) for text in texts if text]
    if not scores:
        return Sentiment("neutral", 0.0, 0, 0, 0, "no message with text to score")
    labels = [_label(score) for score in scores]
    mean = round(sum(scores) / len(scores), 4)
    counts = [labels.count(name) for name in ("positive", "neutral", "negative")]
    basis = (
        f"mean VADER compound {mean:+.2f} over {len(scores):,} messages with text: "
        f"{counts[0]:,} positive, {counts[1]:,} neutral, {counts[2]:,} negative "
        f"(each and overall: positive at +0.05 or more, negative at -0.05 or less)"
    )
    return Sentiment(_label(mean), mean, counts[0], counts[1], counts[2], basis)


def _is_question(text: str) -> bool:
    return text.endswith("?") or _QUESTION_START.match(text) is not None


def _questions(messages: Sequence[ChatMessage]) -> tuple[Question, ...]:
    """Questions by their words: the latest wording and asker, most asked then latest."""
    asked: dict[str, list[ChatMessage]] = {}
    for message in messages:
        text = _one_line(message.content)
        key = " ".join(_WORD.findall(text.lower()))
        if key and _is_question(text):
            asked.setdefault(key, []).append(message)
    found = []
    for group in asked.values():
        latest = group[-1]
        text = _one_line(latest.content)
        if len(text) > QUESTION_CHARS:
            text = text[: QUESTION_CHARS - 1] + "…"
        found.append(Question(text, latest.author_name, len(group), latest.created_at))
    found.sort(key=lambda q: (-q.asked, -q.at.timestamp(), q.text))
    return tuple(found[:MAX_QUESTIONS])


def analyse_messages(messages: Sequence[ChatMessage]) -> Analysis:
    """The day's topics, sentiment and open questions (see the module)."""
    ordered = _ordered(messages)
    text, sampled = keyword_text(ordered)
    note = None
    if sampled:
        note = (
            f"topics were extracted from a sample of {len(text):,} characters spread "
            "over the day; mentions and sentiment count every message"
        )
    return Analysis(
        message_count=len(ordered),
        topics=_topics(ordered, text),
        sentiment=_sentiment(ordered),
        questions=_questions(ordered),
        sampled=note,
    )
