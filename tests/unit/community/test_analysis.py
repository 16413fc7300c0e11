"""The day's analysis without CrewAI: topics by keyword extraction (yake), sentiment by
a lexicon (VADER), open questions; deterministic, capped in what it reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backbone.community._analysis import (
    KEYWORD_TEXT_CHARS,
    MAX_QUESTIONS,
    MAX_TOPICS,
    ChatMessage,
    analyse_messages,
    keyword_text,
)
from tests.unit.community._day import DAY

MONDAY = "It is Monday."
T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def chat(texts: list[str], *, start: datetime = T0, author: str = "ada") -> list[ChatMessage]:
    return [
        ChatMessage(
            message_id=1000 + i,
            author_id=10 + i % 3,
            author_name=f"{author}{i % 3}",
            content=text,
            created_at=start + timedelta(minutes=7 * i),
        )
        for i, text in enumerate(texts)
    ]


def titles(texts: list[str]) -> list[str]:
    return [topic.title.lower() for topic in analyse_messages(chat(texts)).topics]


def test_topics_are_the_days_keywords_with_a_line_each() -> None:
    """3 to 7 topics from the day's words, each saying how many messages mention it and
    quoting one of them."""
    analysis = analyse_messages(chat(DAY))
    assert 3 <= len(analysis.topics) <= MAX_TOPICS
    found = " ".join(topic.title.lower() for topic in analysis.topics)
    for word in ("pricing", "dashboard", "login", "csv"):
        assert word in found
    for topic in analysis.topics:
        assert topic.mentions >= 1
        assert topic.line.startswith(f"{topic.mentions:,} message")
        assert topic.excerpt in topic.line
        assert topic.excerpt.strip("…").lower().count(topic.title.lower().split()[0]) >= 1


def test_topics_are_ordered_by_mentions() -> None:
    """The most discussed topic comes first."""
    counts = [topic.mentions for topic in analyse_messages(chat(DAY)).topics]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] >= 4


def test_the_analysis_is_deterministic() -> None:
    """The same messages give the same analysis, whatever order they arrive in."""
    first = analyse_messages(chat(DAY))
    again = analyse_messages(list(reversed(chat(DAY))))
    assert first == again


def test_few_messages_give_fewer_topics_honestly() -> None:
    """One short message cannot support three topics: fewer are shown, none invented."""
    analysis = analyse_messages(chat(["Deploy failed."]))
    assert 1 <= len(analysis.topics) < 3
    assert all(topic.mentions == 1 for topic in analysis.topics)


def test_no_messages_no_topics_neutral_sentiment() -> None:
    """An empty day: no topics, no questions, a neutral sentiment with zero counts."""
    analysis = analyse_messages([])
    assert analysis.topics == ()
    assert analysis.questions == ()
    assert analysis.message_count == 0
    sentiment = analysis.sentiment
    assert (sentiment.label, sentiment.positive, sentiment.neutral, sentiment.negative) == (
        "neutral",
        0,
        0,
        0,
    )
    assert "no message" in sentiment.basis


@pytest.mark.parametrize(
    ("texts", "label"),
    [
        (["I love this, it is great!", "Awesome work, thank you!", MONDAY], "positive"),
        (["This is terrible and broken.", "I hate the new login, awful.", MONDAY], "negative"),
        (["The meeting is at noon.", "The file is in the folder."], "neutral"),
    ],
)
def test_sentiment_is_the_mean_vader_compound(texts: list[str], label: str) -> None:
    """The label follows the mean compound at ±0.05, with per-message counts and a basis."""
    sentiment = analyse_messages(chat(texts)).sentiment
    assert sentiment.label == label
    assert sentiment.positive + sentiment.neutral + sentiment.negative == len(texts)
    if label == "positive":
        assert sentiment.compound >= 0.05
        assert sentiment.positive == 2
    if label == "negative":
        assert sentiment.compound <= -0.05
        assert sentiment.negative == 2
    if label == "neutral":
        assert -0.05 < sentiment.compound < 0.05
    assert f"{len(texts)} messages" in sentiment.basis
    assert "VADER" in sentiment.basis


def test_messages_without_text_are_not_scored() -> None:
    """An attachment-only message counts as a message but carries no sentiment."""
    analysis = analyse_messages(chat(["", "  ", "I love it!"]))
    assert analysis.message_count == 3
    assert analysis.sentiment.positive == 1
    assert analysis.sentiment.neutral + analysis.sentiment.negative == 0


def test_open_questions_deduplicated_most_asked_first() -> None:
    """Questions end with '?' or start with a question word; the same question asked
    twice (any case, spacing or punctuation) is one entry, listed first, with its count."""
    questions = analyse_messages(chat(DAY)).questions
    assert 1 <= len(questions) <= MAX_QUESTIONS
    assert questions[0].text.lower().startswith("how do i export my data to csv")
    assert questions[0].asked == 2
    assert questions[0].text == "how do i export my data to csv?"  # the most recent wording
    texts = [q.text for q in questions]
    assert "I love the new dashboard release, great work!" not in texts
    assert len({q.text.lower() for q in questions}) == len(questions)


def test_questions_are_capped_and_recent_first_among_equals() -> None:
    """More questions than shown: the most recent come first among those asked once."""
    asked = [f"What about feature number {i}?" for i in range(12)]
    questions = analyse_messages(chat(asked)).questions
    assert len(questions) == MAX_QUESTIONS
    newest = [f"What about feature number {i}?" for i in (11, 10, 9, 8, 7)]
    assert [q.text for q in questions] == newest


def test_question_words_without_a_question_mark_count() -> None:
    """'how can I reset my password' is a question; 'Do it now' is not."""
    analysis = analyse_messages(chat(["how can I reset my password", "Do it now"]))
    texts = [q.text for q in analysis.questions]
    assert texts == ["how can I reset my password"]


def test_yake_reads_a_capped_sample_of_a_big_day() -> None:
    """5,000 messages of 2,000 characters: the keyword text stays under its cap, drawn
    from across the day (first and last messages both sampled), and says it was sampled."""
    big = chat([f"message {i} " + "about the roadmap and the pricing " * 60 for i in range(5000)])
    text, sampled = keyword_text(big)
    assert len(text) <= KEYWORD_TEXT_CHARS
    assert sampled
    assert "message 0 " in text
    assert "message 49" in text
    small, sampled_small = keyword_text(chat(DAY))
    assert not sampled_small
    assert all(t in small for t in DAY)


def test_a_big_day_is_analysed_with_full_mention_counts() -> None:
    """Counts and sentiment cover every message even though yake reads a sample."""
    big = chat(["the roadmap looks great"] * 3000 + ["the roadmap is late, awful"] * 2000)
    analysis = analyse_messages(big)
    roadmap = [t for t in analysis.topics if t.title.lower() == "roadmap"]
    assert roadmap
    assert roadmap[0].mentions == 5000
    assert analysis.sentiment.positive == 3000
    assert analysis.sentiment.negative == 2000
    assert analysis.sampled is not None


def test_to_json_is_plain_data() -> None:
    """The tool's answer: JSON types only, the same figures as the analysis."""
    analysis = analyse_messages(chat(DAY))
    data = analysis.to_json()
    assert data["message_count"] == len(DAY)
    assert [t["title"] for t in data["topics"]] == [t.title for t in analysis.topics]
    assert data["sentiment"]["label"] == analysis.sentiment.label
    assert isinstance(data["questions"][0]["at"], str)
