"""Slash commands and interactivity payloads (block actions, view submissions) as Slack POSTs them
to /slack/events."""

from __future__ import annotations

import secrets
import time
from typing import Any

from bot.standins.slack.signing import SlackRequest, form_request, interactive_request
from bot.standins.slack.workspace import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    dm_channel,
    new_id,
    new_trigger_id,
    next_ts,
)


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
    return form_request(fields, dict(fields))


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
    return interactive_request(payload)


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
    return interactive_request(payload)
