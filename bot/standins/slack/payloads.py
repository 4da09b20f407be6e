"""Requests Slack sends to tokendesk's /slack/events, signed as Slack signs them: Events API
callbacks here; slash commands and interactivity payloads from bot.standins.slack.interactivity and
the signing from bot.standins.slack.signing, named here too so one import serves every test."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from bot.standins.slack.interactivity import block_actions, slash_command, view_submission
from bot.standins.slack.markup import slack_markup
from bot.standins.slack.signing import SlackRequest, json_request, sign
from bot.standins.slack.workspace import (
    APP_ID,
    BOT_USER_ID,
    TEAM_ID,
    VERIFICATION_TOKEN,
    dm_channel,
    new_id,
    next_ts,
)

__all__ = [
    "SlackRequest", "app_home_opened", "app_mention", "block_actions", "event_callback", "message_changed",
    "message_im", "sign", "slash_command", "url_verification", "view_submission",
]

# --- Events API callbacks -------------------------------------------------------------------------


def url_verification(challenge: str) -> SlackRequest:
    return json_request({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"})


def _event_context(event: Mapping[str, Any], team_id: str, api_app_id: str) -> str:
    context = {"et": event.get("type"), "tid": team_id, "aid": api_app_id, "cid": event.get("channel")}
    encoded = base64.urlsafe_b64encode(json.dumps(context, separators=(",", ":")).encode()).decode()
    return "4-" + encoded.rstrip("=")


def event_callback(
    event: dict[str, Any],
    team_id: str = TEAM_ID,
    event_id: str | None = None,
    api_app_id: str = APP_ID,
    *,
    bot_user_id: str = BOT_USER_ID,
    enterprise_id: str | None = None,
    event_time: int | None = None,
    is_ext_shared_channel: bool = False,
) -> SlackRequest:
    """The Events API envelope around one event (from message_im, app_mention, ...). A retry of
    the same delivery keeps the event_id: pass it, or reuse the returned request."""
    return json_request(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "enterprise_id": enterprise_id,
            "context_team_id": team_id,
            "context_enterprise_id": enterprise_id,
            "api_app_id": api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or new_id("Ev"),
            "event_time": int(time.time()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": enterprise_id,
                    "team_id": team_id,
                    "user_id": bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": is_ext_shared_channel,
            "event_context": _event_context(event, team_id, api_app_id),
        }
    )


def _user_message(
    user: str, typed: str, team: str, ts: str, *, autoformat: bool, user_team: str | None
) -> dict[str, Any]:
    text, blocks = slack_markup(typed) if autoformat else (typed, [])
    message: dict[str, Any] = {"client_msg_id": str(uuid.uuid4()), "type": "message", "text": text, "user": user}
    message["ts"] = ts
    if blocks:
        message["blocks"] = blocks
    message["team"] = team
    if user_team is not None:  # Slack Connect: the sender's own workspace
        message["user_team"] = user_team
        message["source_team"] = user_team
    return message


def message_im(
    user: str,
    text: str,
    channel: str | None = None,
    ts: str | None = None,
    team: str = TEAM_ID,
    *,
    thread_ts: str | None = None,
    user_team: str | None = None,
    autoformat: bool = True,
) -> dict[str, Any]:
    """A `message.im` event: `user` wrote `text` in their DM with the bot (channel defaults to
    dm_channel(user)). Like Slack, text is marked up (see slack_markup) unless autoformat=False."""
    ts = ts or next_ts()
    event = _user_message(user, text, team, ts, autoformat=autoformat, user_team=user_team)
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(channel=channel or dm_channel(user), event_ts=ts, channel_type="im")
    return event


def message_changed(
    user: str,
    text: str,
    channel: str | None = None,
    ts: str | None = None,
    team: str = TEAM_ID,
    *,
    previous_text: str = "",
    channel_type: str = "im",
    autoformat: bool = True,
) -> dict[str, Any]:
    """A `message_changed` event: `user` edited their message `ts` to read `text`. The new text
    is in event["message"], not event["text"] — and bolt's app.message() does not see it."""
    ts = ts or next_ts()
    edited_at = next_ts()
    message = _user_message(user, text, team, ts, autoformat=autoformat, user_team=None)
    message["edited"] = {"user": user, "ts": edited_at}
    previous = _user_message(user, previous_text, team, ts, autoformat=autoformat, user_team=None)
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": message,
        "previous_message": previous,
        "channel": channel or dm_channel(user),
        "hidden": True,
        "ts": edited_at,
        "event_ts": edited_at,
        "channel_type": channel_type,
    }


def app_mention(
    user: str,
    text: str,
    channel: str,
    ts: str | None = None,
    team: str = TEAM_ID,
    *,
    bot_user_id: str = BOT_USER_ID,
    thread_ts: str | None = None,
    user_team: str | None = None,
) -> dict[str, Any]:
    """An `app_mention` event in a channel; "<@BOT> " is put in front of `text` unless it
    already mentions the bot."""
    ts = ts or next_ts()
    mention = f"<@{bot_user_id}>"
    typed = text if mention in text else f"{mention} {text}"
    # Slack writes the mention itself; mark up only what the person typed around it.
    head, _, tail = typed.partition(mention)
    head_text, _ = slack_markup(head)
    tail_text, _ = slack_markup(tail)
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "app_mention",
        "text": f"{head_text}{mention}{tail_text}",
        "user": user,
        "ts": ts,
        "team": team,
    }
    if user_team is not None:
        event["user_team"] = user_team
        event["source_team"] = user_team
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(channel=channel, event_ts=ts)
    return event


def app_home_opened(
    user: str, channel: str | None = None, *, tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An `app_home_opened` event; `view` is the home view last published, when there is one."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel or dm_channel(user),
        "tab": tab,
        "event_ts": next_ts(),
    }
    if view is not None:
        event["view"] = view
    return event
