"""Requests Slack sends to tokendesk's /slack/events, signed as Slack signs them: Events API
callbacks, slash commands and interactivity payloads (block actions, view submissions)."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.standins.slack.markup import slack_markup
from bot.standins.slack.workspace import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    SIGNING_SECRET,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    dm_channel,
    new_id,
    new_trigger_id,
    next_ts,
)

# --- requests Slack sends to the app -------------------------------------------------------------


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack signs a request with."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


@dataclass(frozen=True)
class SlackRequest:
    """A request body as Slack would POST it to /slack/events."""

    body: bytes
    content_type: str
    payload: dict[str, Any]
    """What the body says, for assertions (for interactivity: the decoded `payload` field)."""

    def headers(
        self,
        secret: str = SIGNING_SECRET,
        *,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> dict[str, str]:
        """Signed headers; retry_num plays one of Slack's redeliveries of the same body."""
        headers = {
            "Content-Type": self.content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **sign(self.body, secret, timestamp),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return headers


def _json_request(payload: dict[str, Any]) -> SlackRequest:
    return SlackRequest(json.dumps(payload).encode(), "application/json", payload)


def _form_request(fields: dict[str, str], payload: dict[str, Any]) -> SlackRequest:
    return SlackRequest(urlencode(fields).encode(), "application/x-www-form-urlencoded", payload)


def _interactive_request(payload: dict[str, Any]) -> SlackRequest:
    return _form_request({"payload": json.dumps(payload)}, payload)


def url_verification(challenge: str) -> SlackRequest:
    return _json_request({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"})


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
    return _json_request(
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


def slash_command(
    text: str,
    user_id: str,
    team_id: str,
    channel_id: str,
    response_url: str,
    trigger_id: str | None = None,
    *,
    command: str = "/nmbrs",
    channel_name: str | None = None,
    user_name: str | None = None,
    api_app_id: str = APP_ID,
    team_domain: str = TEAM_DOMAIN,
    enterprise_id: str | None = None,
) -> SlackRequest:
    """`/nmbrs <text>` as Slack posts it (form-encoded); trigger_id is fresh unless given."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name or ("directmessage" if channel_id.startswith("D") else "support"),
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    if enterprise_id:
        fields["enterprise_id"] = enterprise_id
    return _form_request(fields, dict(fields))


def _user_object(user: str, team: str) -> dict[str, str]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team}


def block_actions(
    action_id: str,
    user: str,
    team: str = TEAM_ID,
    *,
    value: str | None = None,
    block_id: str | None = None,
    channel: str | None = None,
    message_ts: str | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    action_type: str = "button",
    api_app_id: str = APP_ID,
) -> SlackRequest:
    """A click on a block element: in a message (channel + message_ts) or in a view (view)."""
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id or secrets.token_hex(3),
        "type": action_type,
        "action_ts": next_ts(),
    }
    if value is not None:
        action["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user_object(user, team),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = view
    else:
        channel = channel or dm_channel(user)
        message_ts = message_ts or next_ts()
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel, "name": "directmessage" if channel.startswith("D") else "support"}
        payload["message"] = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": message_ts, "text": ""}
        payload["state"] = {"values": {}}
    if response_url is not None:
        payload["response_url"] = response_url
    return _interactive_request(payload)


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    user: str,
    team: str = TEAM_ID,
    private_metadata: str = "",
    *,
    view_id: str | None = None,
    view_hash: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    trigger_id: str | None = None,
    api_app_id: str = APP_ID,
) -> SlackRequest:
    """A modal submitted. `values` is {block_id: {action_id: value}}: a string (or None for an
    empty field) becomes a plain_text_input's state; a dict is used as the element state as is."""
    state = {
        block_id: {
            action_id: value if isinstance(value, dict) else {"type": "plain_text_input", "value": value}
            for action_id, value in actions.items()
        }
        for block_id, actions in values.items()
    }
    view_id = view_id or new_id("V")
    payload = {
        "type": "view_submission",
        "team": {"id": team, "domain": TEAM_DOMAIN},
        "user": _user_object(user, team),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team,
            "type": "modal",
            "blocks": blocks or [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state},
            "hash": view_hash or f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": {"type": "plain_text", "text": "tokendesk"},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit"},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": api_app_id,
            "external_id": "",
            "app_installed_team_id": team,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _interactive_request(payload)
