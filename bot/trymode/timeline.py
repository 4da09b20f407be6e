"""What the /try page shows, read from the local Slack: the customer's DM and the support channel
(messages as they stand after updates, with their threads), plus the answers to `/nmbrs` commands,
which Slack shows only to the person who typed them (the acknowledgement, then response_url posts)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.standins.slack.methods import Call
from bot.standins.slack.server import SlackStandIn
from bot.trymode import render


@dataclass
class CommandEntry:
    """One `/nmbrs …` typed on the page, and where Slack would show its answers."""

    id: int
    at: float
    text: str
    user: str
    channel: str
    ack: dict[str, Any] | None = None
    """The acknowledgement's message, when the command answered in it."""
    actions: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def response_name(self) -> str:
        return f"cmd{self.id}"

    def next_action_name(self) -> str:
        # Slack gives every interaction its own response_url; the page names them after the command.
        return f"{self.response_name}.a{next(self.actions)}"


def command_messages(entry: CommandEntry, posts: list[Call]) -> list[dict[str, Any]]:
    """The answers as they stand: replace_original and delete_original applied in order."""
    shown: list[dict[str, Any]] = [entry.ack] if entry.ack else []
    for post in sorted(posts, key=lambda c: c.at):
        if not post.ok or post.name is None or post.name.split(".")[0] != entry.response_name:
            continue
        params = post.params
        if params.get("delete_original"):
            if shown:
                shown.pop()
        elif params.get("replace_original") and shown:
            shown[-1] = params
        else:
            shown.append(params)
    return shown


def _order(message: Mapping[str, Any]) -> float:
    return float(message.get("ts") or 0)


def channel_html(
    slack: SlackStandIn, *, channel: str, viewer: str, entries: list[CommandEntry], name_of: Callable[[str], str],
    bot_user_id: str,
) -> str:
    """A channel's messages, threads under their parent, and the viewer's ephemeral answers, by time."""
    messages = slack.messages(channel)
    replies: dict[str, list[dict[str, Any]]] = {}
    top = []
    for message in messages:
        thread = message.get("thread_ts")
        if thread and thread != message["ts"]:
            replies.setdefault(thread, []).append(message)
        else:
            top.append(message)

    def who(message: Mapping[str, Any]) -> tuple[str, str]:
        user = str(message.get("user") or "")
        if message.get("bot_id") or user == bot_user_id:
            return "tokendesk", "bot"
        return name_of(user), "person"

    def one(message: Mapping[str, Any], thread: Sequence[str] = ()) -> str:
        name, css = who(message)
        origin = f'{{"kind":"message","channel":"{channel}","ts":"{message["ts"]}"}}'
        return render.message(message, who=name, css=css, name_of=name_of, origin=origin, replies=thread)

    items: list[tuple[float, str]] = []
    for message in top:
        thread = [one(reply) for reply in sorted(replies.get(message["ts"], []), key=_order)]
        items.append((_order(message), one(message, thread)))
    for call in slack.calls("chat.postEphemeral"):
        if call.ok and call.params.get("channel") == channel and call.params.get("user") == viewer:
            items.append((call.at, render.message(call.params, who="tokendesk · only visible to you",
                                                  css="bot ephemeral", name_of=name_of)))
    posts = slack.calls("response_url")
    for entry in entries:
        if entry.channel != channel:
            continue
        typed = render.message({"text": entry.text}, who=name_of(entry.user), css="person command", name_of=name_of)
        answers = "".join(
            render.message(m, who="tokendesk · only visible to you", css="bot ephemeral", name_of=name_of,
                           origin=f'{{"kind":"command","id":{entry.id}}}')
            for m in command_messages(entry, posts)
        )
        items.append((entry.at, typed + answers))
    items.sort(key=lambda item: item[0])
    return "".join(html for _, html in items) or '<div class="empty">Nothing here yet.</div>'
