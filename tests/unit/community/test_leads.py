"""The lead detector: every phrase variant, the near misses, the rule syntax, the excerpt,
and a very long message."""

from __future__ import annotations

import pytest

from backbone.community.leads import (
    DEFAULT_LEAD_PHRASES,
    EXCERPT_CHARS,
    LeadMatch,
    PhraseMatcher,
    PhraseRuleError,
)

DEFAULT = PhraseMatcher(DEFAULT_LEAD_PHRASES)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("sign up", "sign up"),
        ("signup", "sign up"),
        ("sign-up", "sign up"),
        ("Sign   Up!", "sign up"),
        ("where do I SIGN_UP?", "sign up"),
        ("can I **sign** up here", "sign up"),
        ("sign\u200bup", "sign up"),
        ("how do I buy", "how (do|can) i buy"),
        ("how can I buy", "how (do|can) i buy"),
        ("How do i buy?", "how (do|can) i buy"),
        ("ok... how-can-i-buy this", "how (do|can) i buy"),
        ("pricing", "(price|prices|pricing)"),
        ("what's the price?", "(price|prices|pricing)"),
        ("Prices, please", "(price|prices|pricing)"),
        ("PRICING!!!", "(price|prices|pricing)"),
        ("is there a free trial", "free trial"),
        ("free-trial?", "free trial"),
        ("can I get a demo", "demo"),
    ],
)
def test_every_phrase_variant_matches(text: str, rule: str) -> None:
    """Case, punctuation, spacing, hyphens, underscores and zero-width characters between
    the words of a rule do not hide a lead."""
    found = DEFAULT.match(text)
    assert found is not None
    assert found.rule == rule


@pytest.mark.parametrize(
    "text",
    [
        "priceless",
        "a pricey thing",
        "overpriced",
        "signupsheet",
        "design up",
        "resign up",
        "sign upstairs",
        "the sign is up",
        "how do you buy",
        "free trials",
        "demos",
        "demolition",
        "",
        "hello everyone",
    ],
)
def test_near_misses_do_not_match(text: str) -> None:
    """A rule's words stand on word boundaries: a longer word, an inflection the rule does
    not list, or other words between the rule's words is no lead."""
    assert DEFAULT.match(text) is None


def test_the_match_names_the_rule_the_span_and_the_text() -> None:
    """The match carries the rule as normalised, the span in the original text, the matched
    text itself, and the excerpt with its whitespace collapsed."""
    text = "Hi! How Can I  buy the pro plan?"
    found = DEFAULT.match(text)
    assert found == LeadMatch(
        rule="how (do|can) i buy",
        start=4,
        end=18,
        matched="How Can I  buy",
        excerpt="Hi! How Can I buy the pro plan?",
    )
    assert text[found.start : found.end] == found.matched


def test_the_earliest_match_wins() -> None:
    """With several rules in one message, the first in the text is reported."""
    found = DEFAULT.match("the demo was nice, what is the pricing?")
    assert found is not None
    assert found.rule == "demo"


def test_the_excerpt_is_short_and_clean() -> None:
    """The excerpt keeps the match with some context, at most EXCERPT_CHARS characters,
    marks cuts with an ellipsis, and drops control and format characters."""
    text = "x" * 500 + " line\none\x00\u202e what is the price \x1b[31m " + "y" * 500
    found = DEFAULT.match(text)
    assert found is not None
    assert len(found.excerpt) <= EXCERPT_CHARS
    assert "what is the price" in found.excerpt
    assert found.excerpt.startswith("…")
    assert found.excerpt.endswith("…")
    assert not any(ch in found.excerpt for ch in "\n\x00\u202e\x1b")


def test_a_100_kb_message_returns() -> None:
    """Separators are bounded and disjoint from words: a hostile 100 KB message (long
    separator runs, near-miss repetitions) is matched in linear time."""
    hostile = ("sign" + " " * 50 + "-" * 50 + "how do i" + "-" * 20) * 800 + "sig"
    assert len(hostile) > 100_000
    assert DEFAULT.match(hostile) is None
    assert DEFAULT.match(hostile + " pricing") is not None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("how (do|can i buy", "parenthes"),
        ("how do|can i buy", "'|'"),
        ("((a|b)|c)", "parenthes"),
        ("(a)", "two or more"),
        ("(a||b)", "empty alternative"),
        ("price.*", "letters and digits"),
        ("sign_up", "letters and digits"),
        ("a" * 101, "100 characters"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_error(rule: str, message: str) -> None:
    """A rule outside the syntax is refused at load, naming the rule and the problem."""
    with pytest.raises(PhraseRuleError, match=message) as caught:
        PhraseMatcher([rule])
    assert isinstance(caught.value, ValueError)


def test_rules_are_normalised_and_deduplicated() -> None:
    """Case and spacing of a rule do not matter; the same rule twice is one rule."""
    matcher = PhraseMatcher(["  Sign   UP ", "sign up", "(Book|Schedule) a CALL"])
    assert matcher.rules == ("sign up", "(book|schedule) a call")
    found = matcher.match("can we schedule-a-call?")
    assert found is not None
    assert found.rule == "(book|schedule) a call"


def test_multi_word_alternatives() -> None:
    """An alternative in a group may be several words."""
    matcher = PhraseMatcher(["(how much|what) does it cost"])
    assert matcher.match("How much does it cost?") is not None
    assert matcher.match("what does it cost") is not None
    assert matcher.match("much does it cost") is None


def test_too_many_rules_are_refused() -> None:
    """The rule list is bounded."""
    with pytest.raises(PhraseRuleError, match="at most"):
        PhraseMatcher([f"word{i}" for i in range(101)])


def test_no_rules_match_nothing() -> None:
    """An empty rule list turns lead detection off."""
    assert PhraseMatcher([]).match("sign up pricing demo") is None
