"""The welcome message: the template's placeholders, hostile display and server names,
the mention, and Discord's length limit."""

from __future__ import annotations

import pytest

from backbone.community.welcome import (
    MAX_MESSAGE_CHARS,
    MAX_TEMPLATE_CHARS,
    WelcomeTemplateError,
    escape_discord_text,
    render_welcome,
    validate_welcome_template,
)

MENTION = "<@123456789012345678>"


def render(template: str, *, name: str = "Ada", server: str = "Backbone") -> str:
    """The template rendered for one member of a 42-member server."""
    return render_welcome(template, mention=MENTION, name=name, server=server, member_count=42)


def test_the_template_is_filled() -> None:
    """Each of the four placeholders is replaced; doubled braces stay literal braces."""
    text = render("Hi {mention} ({name}), welcome to {server}: member {member_count} {{ok}}")
    assert text == f"Hi {MENTION} (Ada), welcome to Backbone: member 42 {{ok}}"


@pytest.mark.parametrize(
    ("name", "forbidden"),
    [
        ("@everyone", "@everyone"),
        ("@here", "@here"),
        ("<@123>", "<@123>"),
        ("<@!123>", "<@!123>"),
        ("<@&1>", "<@&1>"),
        ("<#99>", "<#99>"),
        ("**bold**", "**bold**"),
        ("__under__", "__under__"),
        ("~~gone~~", "~~gone~~"),
        ("||spoiler||", "||spoiler||"),
        ("`code`", "`code`"),
        ("[click](https://evil.example)", "[click]"),
    ],
)
def test_a_hostile_name_can_neither_ping_nor_format(name: str, forbidden: str) -> None:
    """Mention and markdown syntax in a display name or a server name arrives escaped."""
    for text in (render("{name} joined", name=name), render("{server}!", server=name)):
        assert forbidden not in text


def test_a_name_cannot_start_a_quote_or_a_heading() -> None:
    """A name at the start of the message cannot open a heading, a quote or a list."""
    assert render("{name} joined", name="# Heading").startswith("\\# Heading")
    assert render("{name} joined", name="> quote").startswith("\\> quote")
    assert render("{name} joined", name="- item").startswith("\\- item")


def test_escaping_is_exact() -> None:
    """Markdown characters get a backslash, every '@' a zero-width space after it."""
    assert escape_discord_text("a*b_c~d|e>f<g`h#i[j]k-l\\m") == (
        "a\\*b\\_c\\~d\\|e\\>f\\<g\\`h\\#i\\[j\\]k\\-l\\\\m"
    )
    assert escape_discord_text("@everyone") == "@\u200beveryone"
    assert escape_discord_text("Ada Lovelace") == "Ada Lovelace"


def test_control_characters_and_newlines_are_removed_from_names() -> None:
    """A name cannot break the line (to start a quote or a heading) or flip the text
    direction; a zero-width space cannot be smuggled in to pre-empt the escaping."""
    text = escape_discord_text("Eve\n# Admin\r\n\u202eevil\u200b@\u200beveryone\x00")
    assert "\n" not in text
    assert "\u202e" not in text
    assert "\x00" not in text
    assert text == "Eve \\# Admin evil@\u200beveryone"


def test_the_mention_must_be_a_user_mention() -> None:
    """The mention is the member's own ``<@id>``: anything else is refused, so a name can
    never be passed where the one allowed ping goes."""
    for bad in ("@everyone", "<@&123>", "Ada", "<@123> @here"):
        with pytest.raises(ValueError, match="mention"):
            render_welcome("{mention}", mention=bad, name="Ada", server="S", member_count=1)
    assert render_welcome("{mention}", mention="<@!12>", name="A", server="S", member_count=1)


def test_the_message_is_capped_at_discords_limit() -> None:
    """Long names cannot push the message over 2,000 characters; a cut ends with '…'."""
    text = render("{name} " * 10, name="*" * 200)
    assert len(text) == MAX_MESSAGE_CHARS
    assert text.endswith("…")


def test_a_negative_member_count_is_refused() -> None:
    """The member count is a count."""
    with pytest.raises(ValueError, match="member_count"):
        render_welcome("{member_count}", mention=MENTION, name="A", server="S", member_count=-1)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("Hi {user}", "unknown placeholder"),
        ("Hi {}", "unknown placeholder"),
        ("Hi {0}", "unknown placeholder"),
        ("Hi {name.__class__}", "unknown placeholder"),
        ("Hi {name[0]}", "unknown placeholder"),
        ("Hi {name!r}", "no conversion"),
        ("Hi {name:>30}", "no conversion"),
        ("Hi {name", "brace"),
        ("Hi name}", "brace"),
        ("   ", "empty"),
        ("x" * (MAX_TEMPLATE_CHARS + 1), "1500"),
    ],
)
def test_bad_templates_are_refused(template: str, message: str) -> None:
    """Only the four placeholders, plain, in a template of at most 1,500 characters."""
    with pytest.raises(WelcomeTemplateError, match=message):
        validate_welcome_template(template)
    with pytest.raises(WelcomeTemplateError):
        render(template)


def test_a_good_template_is_returned_unchanged() -> None:
    """Validation does not rewrite a valid template."""
    template = "{mention} {name} {server} {member_count} {{literal}}"
    assert validate_welcome_template(template) == template
