"""A Slack payload as plain values: who wrote, where (channel, thread), and what, as plain text
(mrkdwn links unwrapped, mentions dropped, entities decoded), for events, edits, mentions,
`/nmbrs`, the credentials form and the buttons.

Listeners read Slack's JSON through this module only, so the use cases below them see neutral input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack import blocks
from handlers.intake import Via

_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")

#: Message subtypes that are a person writing (file_share: a message with an attachment).
WRITTEN = frozenset({None, "file_share", "thread_broadcast"})


@dataclass(frozen=True)
class Said:
    """One message a person wrote (a DM, an edit of one, or a mention in a channel)."""

    user_id: str | None
    channel: str
    thread: str | None
    """The thread the message is in (answers go there); None at the top level."""
    text: str
    """What the person typed, as plain text."""
    by_bot: bool
    """Written by a bot (ours or another): never customer input."""
    previous: str | None = None
    """For an edit: the plain text before it."""


def plain_text(text: str | None) -> str:
    """Slack's message text as the person typed it: links unwrapped, mentions dropped, unescaped."""

    def unwrap(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "!", "#")):
            return " "  # user, group, channel mentions and <!here>: never credentials
        if label:
            return label
        return target.removeprefix("mailto:")

    text = _LINK.sub(unwrap, text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def entities_decoded(text: str | None) -> str:
    """A slash command's text as typed: Slack sends only &, < and > as entities there."""
    return (text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _by_bot(message: Mapping[str, Any], bot_user_id: str) -> bool:
    return bool(message.get("bot_id")) or message.get("user") in (None, bot_user_id)


def _said(message: Mapping[str, Any], channel: Any, *, bot_user_id: str, previous: str | None = None) -> Said:
    user = message.get("user")
    thread = message.get("thread_ts")
    return Said(
        user_id=str(user) if user else None, channel=str(channel), thread=str(thread) if thread else None,
        text=plain_text(message.get("text")), by_bot=_by_bot(message, bot_user_id), previous=previous,
    )


def direct_message(event: Mapping[str, Any], *, bot_user_id: str) -> Said | None:
    """A DM a person wrote; None for other subtypes (deleted, bot messages, edits, ...)."""
    if event.get("subtype") not in WRITTEN:
        return None
    return _said(event, event.get("channel"), bot_user_id=bot_user_id)


def edit(event: Mapping[str, Any], *, bot_user_id: str) -> Said | None:
    """A `message_changed` event as the new message, with the text before the edit; None otherwise."""
    if event.get("subtype") != "message_changed":
        return None
    message = event.get("message") if isinstance(event.get("message"), Mapping) else {}
    before = event.get("previous_message") if isinstance(event.get("previous_message"), Mapping) else {}
    return _said(message, event.get("channel") or message.get("channel"), bot_user_id=bot_user_id,
                 previous=plain_text(before.get("text")))


def mention(event: Mapping[str, Any], *, bot_user_id: str) -> Said:
    return _said(event, event.get("channel"), bot_user_id=bot_user_id)


def command_line(body: Mapping[str, Any]) -> str:
    """The `/nmbrs` subcommand line as typed."""
    return entities_decoded(body.get("text"))


@dataclass(frozen=True)
class FormInput:
    """What was typed into the credentials form, and the language it was shown in."""

    username: str
    token: str
    lang: str
    via: Via | None = None
    """Opened from a shared channel's Connect message: its invitation and channel."""

    def __repr__(self) -> str:  # never the token
        return f"FormInput(username={self.username!r}, lang={self.lang!r}, via={self.via!r})"


def form_input(view: Mapping[str, Any], *, default_lang: str) -> FormInput:
    username, token = blocks.form_values(view)
    return FormInput(username=username, token=token, lang=blocks.form_lang(view, default_lang),
                     via=blocks.form_via(view))


def button_value(body: Mapping[str, Any]) -> str | None:
    """The value of the pressed button of a block action."""
    try:
        return str(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError):
        return None


def link_id(body: Mapping[str, Any]) -> int | None:
    """The link a button is about (its value), None when it names none."""
    value = button_value(body)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
