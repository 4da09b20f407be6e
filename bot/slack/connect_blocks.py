"""Block Kit for Connect messages in shared channels: the offer under `/nmbrs invite`, the message
posted in the channel (no secret, no URL), and the private answers. Words: handlers.text.shared_text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack.blocks import escape
from handlers.intake import Via
from handlers.invitations import Invited
from handlers.text.shared_text import CONNECT_BUTTON, channel_lines, until, words

Message = dict[str, Any]
Block = dict[str, Any]

#: Support's button under `/nmbrs invite` in a shared channel; its value is the invitation (`I7`).
POST_ACTION = "tokendesk_connect_post"
#: The button of the message in the shared channel; its value is `I7` (the channel comes with the press).
SHARED_ACTION = "tokendesk_connect_shared"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(action_id: str, text: str, value: str, *, primary: bool = False) -> Block:
    button: Block = {"type": "button", "action_id": action_id, "value": value,
                     "text": {"type": "plain_text", "text": text, "emoji": True}}
    if primary:
        button["style"] = "primary"
    return button


def _text(text: str) -> Message:
    return {"text": escape(text), "blocks": [_section(escape(text))]}


def with_offer(answer: Message, invitation: str, lang: str) -> Message:
    """`/nmbrs invite`'s answer in a shared channel, with the button that posts the Connect message."""
    blocks = [*answer.get("blocks", []), _context(escape(words("offer_hint", lang))),
              {"type": "actions", "block_id": "tokendesk_connect_offer",
               "elements": [_button(POST_ACTION, words("offer_button", lang), invitation)]}]
    return {**answer, "blocks": blocks}


def channel_message(invitation: str, brand: str) -> Message:
    """The message in the shared channel: what it is in two lines per language, and the button.
    It names no person and holds no URL or secret; the invitation's display id is the button's value."""
    lines = channel_lines(brand)
    return {
        "text": escape(lines[0]),  # the notification's text: mrkdwn too, so a brand cannot @channel
        "blocks": [_section("\n".join(escape(line) for line in lines[:2])),
                   _section("\n".join(escape(line) for line in lines[2:])),
                   {"type": "actions", "block_id": "tokendesk_connect_shared",
                    "elements": [_button(SHARED_ACTION, CONNECT_BUTTON, invitation, primary=True)]}],
    }


def posted(via: Via, lang: str) -> Message:
    return _text(words("posted", lang, invitation=via.invitation))


def not_in_channel(lang: str) -> Message:
    return _text(words("not_in_channel", lang))


def post_failed(error: str, lang: str) -> Message:
    return _text(words("post_failed", lang, error=error[:60]))


def not_staff(lang: str) -> Message:
    return _text(words("not_staff", lang))


def gone(invitation: str, lang: str) -> Message:
    return _text(words("gone", lang, invitation=invitation))


def private_answer(invited: Invited, lang: str, *, extra: Sequence[Block] = ()) -> Message:
    """The private answer to whoever pressed the channel's button when the form could not be opened:
    their own invitation URL. The one place that builds it: a "Connect with Nmbrs" consent button
    (REST) goes into `extra`, an actions element list shown under the link."""
    head = words("private_head", lang)
    blocks: list[Block] = [
        _section(f":link: *{escape(head)}*\n{escape(words('private_detail', lang))}"),
        _section(f"<{invited.url}|{escape(words('private_link', lang))}>"),
    ]
    if extra:
        blocks.append({"type": "actions", "block_id": "tokendesk_connect_private", "elements": list(extra)})
    blocks.append(_context(escape(words("private_small", lang, until=until(invited.expires_at)))))
    return {"text": escape(head), "blocks": blocks}
