"""The /try page's Block Kit renderer: Slack's markup becomes HTML, and nothing outside text carries
(names, messages, button values, modal values) ever becomes markup."""

from __future__ import annotations

from bot.slack import blocks as slack_blocks
from bot.trymode import render
from handlers.text import conversation, replies

HOSTILE = '<script>alert(1)</script> "quoted" \'single\' <img src=x onerror=alert(2)> &amp;'


def test_mrkdwn_formats_and_escapes() -> None:
    html = render.mrkdwn("*bold* _it_ `code` :white_check_mark: <https://nmbrs.com|Nmbrs> <@U1> a&lt;b&gt; & <!channel>")
    assert "<b>bold</b>" in html and "<i>it</i>" in html and "<code>code</code>" in html and "✅" in html
    assert '<a href="https://nmbrs.com" target="_blank" rel="noopener noreferrer">Nmbrs</a>' in html
    assert '<span class="mention">@U1</span>' in html and '<span class="mention">@channel</span>' in html
    assert "a&lt;b&gt; &amp;" in html


def test_outside_text_that_slack_escaped_is_shown_not_obeyed() -> None:
    # The bot escapes a company called `<!channel> & Zonen` for mrkdwn; the page shows it as text.
    escaped_by_bot = slack_blocks.escape("<!channel> & Zonen " + HOSTILE)
    html = render.mrkdwn(escaped_by_bot)
    assert "<script" not in html and "<img" not in html and "<span" not in html
    assert "&lt;!channel&gt; &amp; Zonen" in html and "&lt;script&gt;" in html


def test_raw_text_with_markup_is_escaped() -> None:
    html = render.mrkdwn(HOSTILE)
    assert "<script" not in html and "<img" not in html
    assert render.text_object({"type": "plain_text", "text": HOSTILE}).count("&lt;") >= 2


def test_links_only_for_http_and_mailto() -> None:
    html = render.mrkdwn("<javascript:alert(1)|click>")
    assert "<a" not in html and "javascript:alert(1)|click" in html
    button = render.button({"type": "button", "url": "javascript:alert(1)", "text": {"type": "plain_text", "text": "x"}})
    assert "javascript" not in button


def test_attributes_are_quoted_and_escaped() -> None:
    element = {"type": "button", "action_id": '" onclick="alert(1)', "value": "<x>'y'",
               "text": {"type": "plain_text", "text": HOSTILE}, "confirm": {"text": {"type": "plain_text", "text": '"><b>'}}}
    html = render.blocks([{"type": "actions", "block_id": '"><script>', "elements": [element]}])
    assert 'onclick="' not in html and "<script" not in html and "<b>" not in html
    assert 'data-action="&quot; onclick=&quot;alert(1)"' in html
    assert 'data-block="&quot;&gt;&lt;script&gt;"' in html


def test_message_origin_and_sender_are_escaped() -> None:
    html = render.message({"text": "hi"}, who=HOSTILE, css='x" onmouseover="y', origin='{"a":"<b>"}')
    assert "<script" not in html and 'onmouseover="' not in html and "<b>" not in html


def test_the_connect_modal_renders_with_what_was_typed_escaped() -> None:
    view = slack_blocks.connect_modal("en", conversation.form_intro("en"))
    html = render.modal(view, values={"username": HOSTILE}, errors={"token": HOSTILE})
    assert html.count('class="bk-input"') == 2 and 'data-modal="submit"' in html
    assert "<script" not in html and "<img" not in html
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &#x27;single&#x27;' in html


def test_unknown_blocks_are_named_not_rendered() -> None:
    html = render.blocks([{"type": "<video>", "src": "x"}, "not a block", {"type": "divider"}])
    assert "[&lt;video&gt; block]" in html and '<hr class="bk-divider">' in html
