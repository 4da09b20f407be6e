"""Finding credentials in real Slack message texts (as Slack marks them up)."""

from __future__ import annotations

import pytest

from bot.slack.inbound import plain_text
from handlers.parse import Found, token_like
from handlers.parse import find_credentials as find_in_plain_text


def find_credentials(text: str) -> Found:
    """What is found in a Slack message text: decoded by Slack's inbound module, then searched."""
    return find_in_plain_text(plain_text(text))
from bot.standins.slack.markup import slack_markup

TOKEN = "0123456789abcdef0123456789abcdef"
EMAIL = "hr@acme.nl"


def slack(typed: str) -> str:
    """The `text` field Slack sends for what a person typed."""
    return slack_markup(typed)[0]


@pytest.mark.parametrize(
    "typed",
    [
        f"{EMAIL} {TOKEN}",
        f"Hoi! Mijn login is {EMAIL} en mijn token is {TOKEN}.",
        f"e-mail: {EMAIL}\ntoken: {TOKEN}",
        f"{EMAIL}\nToken = {TOKEN}",
        f"username {EMAIL}, API token: {TOKEN}",
        f"{EMAIL} API-token:{TOKEN}",
        f"{EMAIL} `{TOKEN}`",
        f"{EMAIL}\n```{TOKEN}```",
        f"{EMAIL}\n```\n{TOKEN}\n```",
        f"```{EMAIL}\n{TOKEN}```",
        f'{EMAIL} "{TOKEN}"',
        f"{EMAIL} '{TOKEN}'",
        f"{EMAIL} “{TOKEN}”",
        f"Here you go:\n\n> {EMAIL}\n> {TOKEN}\n\nThanks",
        f"token: `{TOKEN}` (login {EMAIL})",
        f"<{EMAIL}> {TOKEN}",
        f"{TOKEN} {EMAIL}",
        f"mijn apitoken={TOKEN}; gebruiker={EMAIL}",
    ],
)
def test_both_parts_in_real_shapes(typed: str) -> None:
    assert find_credentials(slack(typed)) == Found(EMAIL, TOKEN)


def test_slack_wraps_email_as_mailto_link() -> None:
    text = slack(f"{EMAIL} {TOKEN}")
    assert "mailto:" in text
    assert find_credentials(text).username == EMAIL


def test_a_mailto_link_with_a_different_label_uses_the_label() -> None:
    assert find_credentials(f"<mailto:{EMAIL}|{EMAIL}> {TOKEN}") == Found(EMAIL, TOKEN)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("hallo, hoe koppel ik Nmbrs?", Found()),
        ("where do I find my token?", Found()),
        ("my token is expired", Found()),
        ("Token is verlopen, wat nu?", Found()),
        (f"my e-mail is {EMAIL}", Found(EMAIL, None)),
        (f"mailto {EMAIL}.", Found(EMAIL, None)),
        (TOKEN, Found(None, TOKEN)),
        (f"`{TOKEN}`", Found(None, TOKEN)),
        (f"token: {TOKEN}", Found(None, TOKEN)),
        ("Arbeidsongeschiktheidsverzekering is duur", Found()),
        ("bel me op 0612345678 of 0201234567890", Found()),
        ("I tried `/nmbrs connect` but nothing happened", Found()),
        ("see https://acme.nmbrs.nl/applications/abc123def456ghi789 please", Found()),
        ("token: abc123", Found(None, "abc123")),
    ],
)
def test_partial_and_no_credentials(typed: str, expected: Found) -> None:
    assert find_credentials(slack(typed)) == expected


def test_a_token_broken_by_a_space_in_a_code_span_is_kept_with_the_space() -> None:
    # So the answer can say "there is a space in your token" instead of ignoring the message.
    found = find_credentials(slack(f"{EMAIL} `0123456789abcdef 0123456789abcdef`"))
    assert found.token == "0123456789abcdef 0123456789abcdef"


def test_a_token_broken_over_lines_in_a_code_block_is_kept() -> None:
    found = find_credentials(slack(f"{EMAIL}\n```0123456789abcdef\n0123456789abcdef```"))
    assert found.token == "0123456789abcdef\n0123456789abcdef"


def test_a_very_long_paste_is_found_so_it_can_be_called_too_long() -> None:
    long = "ab12" * 80
    assert find_credentials(slack(f"{EMAIL} token: {long}")).token == long


def test_mentions_and_channel_links_are_not_credentials() -> None:
    assert find_credentials("<@U0TOKBOT> <!channel> <#C0123|general> hello") == Found()


def test_mention_then_credentials() -> None:
    assert find_credentials(f"<@U0TOKBOT> {slack(EMAIL)} {TOKEN}") == Found(EMAIL, TOKEN)


def test_html_entities_are_unescaped() -> None:
    assert plain_text("a &lt;b&gt; &amp; c") == "a <b> & c"


def test_trailing_punctuation_is_not_part_of_the_token() -> None:
    assert find_credentials(slack(f"{EMAIL}, token {TOKEN}!")).token == TOKEN
    assert find_credentials(slack(f"({EMAIL}) ({TOKEN})")).token == TOKEN


def test_found_repr_never_shows_the_token() -> None:
    assert TOKEN not in repr(find_credentials(slack(f"{EMAIL} {TOKEN}")))
    assert "…cdef" in repr(find_credentials(slack(TOKEN)))


@pytest.mark.parametrize("word, expected", [
    (TOKEN, True), ("abc12345", True), ("abcdefgh", False), ("12345678", False), ("ab1", False),
    ("a@b12345.nl", False), ("https://x.nl/ab12cd34", False),
])
def test_token_like(word: str, expected: bool) -> None:
    assert token_like(word) is expected
