"""What the Slack stand-in answers to each Web API method it knows, and the Block Kit and view
checks Slack applies before it does; every other method is `unknown_method`."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from bot.standins.slack.workspace import dm_channel, new_id, next_ts

_MESSAGE_BLOCK_LIMIT = 50
_VIEW_BLOCK_LIMIT = 100
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")  # JSON strings in form bodies


def _truthy(value: Any) -> bool:
    # slack_sdk sends booleans as "1"/"0" in forms and query strings, true/false in JSON.
    return value is True or str(value).lower() in ("1", "true")


@dataclass(frozen=True)
class Call:
    """One request the stand-in received, with what it answered."""

    method: str
    """Web API method ("chat.postMessage"), or "response_url" for a post to a response_url."""
    params: dict[str, Any]
    """Query string, form or JSON body, merged; form fields holding JSON are decoded."""
    headers: dict[str, str]
    """Request headers without Authorization."""
    at: float
    """time.time() when the request arrived."""
    perf_counter: float
    """time.perf_counter() when the request arrived (same clock as a benchmark in this process)."""
    status: int
    response: Any
    """The JSON answer (Web API) or the text answer (response_url)."""
    name: str | None = None
    """For response_url posts: the name given to SlackStandIn.response_url(name)."""

    @property
    def ok(self) -> bool:
        if isinstance(self.response, dict):
            return self.status == 200 and bool(self.response.get("ok"))
        return self.status == 200


@dataclass
class Failure:
    error: str
    status: int
    retry_after: int | None
    remaining: int
    target: str | None = None
    """Only calls for this channel or user (`channel`, or `users` of conversations.open); None: any."""

    def matches(self, params: dict[str, Any]) -> bool:
        return self.target is None or self.target in (params.get("channel"), params.get("users"))


class Refusal(Exception):
    """A Slack error answer: HTTP 200 with {"ok": false, "error": ...} unless said otherwise."""

    def __init__(self, error: str, *, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages


@dataclass
class State:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, deque[Failure]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    home_views: dict[str, str] = field(default_factory=dict)  # user -> view id
    opened: set[str] = field(default_factory=set)  # channels opened by conversations.open
    used_triggers: set[str] = field(default_factory=set)
    response_url_posts: dict[str, int] = field(default_factory=dict)


# --- Web API methods -------------------------------------------------------------------------------


class WebApiMethods:
    """The Web API methods the stand-in answers; mixed into SlackStandIn, which owns the state."""

    team_id: str
    team_domain: str
    app_id: str
    bot_user_id: str
    bot_id: str
    trigger_ttl: float
    _state: State

    # Web API methods; called with the lock held, they return the answer without "ok".

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": "tokendesk test",
            "user": "tokendesk",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._state.users.get(params.get("user", ""))
        if user is None:
            raise Refusal("user_not_found")
        user = json.loads(json.dumps(user))
        if not _truthy(params.get("include_locale")):
            user.pop("locale")
        return {"user": user}

    def _usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        members = self._state.usergroups.get(params.get("usergroup", ""))
        if members is None:
            raise Refusal("no_such_subteam")
        return {"users": list(members)}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            channel_id = params["channel"]
            users: list[str] = []
        else:
            users = [u for u in str(params.get("users", "")).split(",") if u]
            if not users:
                raise Refusal("users_list_not_supplied")
            if any(u not in self._state.users for u in users):
                raise Refusal("user_not_found")
            if len(users) == 1:
                channel_id = dm_channel(users[0])
            else:
                channel_id = "G" + hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
        already_open = channel_id in self._state.opened
        self._state.opened.add(channel_id)
        channel: dict[str, Any] = {"id": channel_id}
        if _truthy(params.get("return_im")):
            channel.update(created=int(time.time()), is_im=len(users) == 1, is_org_shared=False, is_user_deleted=False)
            if len(users) == 1:
                channel["user"] = users[0]
        answer: dict[str, Any] = {"channel": channel}
        if already_open:
            answer.update(no_op=True, already_open=True)
        return answer

    def _resolve_channel(self, channel: Any) -> str:
        # chat.postMessage to a user ID posts in the app's DM with that user.
        channel = str(channel or "")
        if channel[:1] in ("U", "W"):
            if channel not in self._state.users:
                raise Refusal("channel_not_found")
            return dm_channel(channel)
        if not channel:
            raise Refusal("channel_not_found")
        return channel

    def _bot_message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": params.get("text") or "",
            "ts": ts,
            "team": self.team_id,
        }
        for key in ("blocks", "attachments", "metadata"):
            if params.get(key):
                message[key] = params[key]
        return message

    def _check_message(self, params: dict[str, Any]) -> None:
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise Refusal("no_text")
        if len(str(params.get("text") or "")) > 40_000:
            raise Refusal("msg_too_long")
        if "blocks" in params:
            problems = _block_problems(params["blocks"], _MESSAGE_BLOCK_LIMIT, "/blocks")
            if problems:
                raise Refusal("invalid_blocks", messages=problems)

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._check_message(params)
        ts = next_ts()
        message = self._bot_message(params, ts)
        thread_ts = params.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = thread_ts
            parent = self._state.messages.get((channel, thread_ts))
            if parent is not None:
                message["parent_user_id"] = parent.get("user")
        self._state.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self._resolve_channel(params.get("channel"))
        if params.get("user") not in self._state.users:
            raise Refusal("user_not_found")
        self._check_message(params)
        return {"message_ts": next_ts()}

    def _own_message(self, params: dict[str, Any], refusal: str) -> tuple[tuple[str, str], dict[str, Any]]:
        key = (str(params.get("channel") or ""), str(params.get("ts") or ""))
        message = self._state.messages.get(key)
        if message is None:
            raise Refusal("message_not_found")
        if message.get("bot_id") != self.bot_id:
            raise Refusal(refusal)
        return key, message

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        (channel, ts), message = self._own_message(params, "cant_update_message")
        self._check_message(params)
        updated = self._bot_message(params, ts)
        if "thread_ts" in message:
            updated["thread_ts"] = message["thread_ts"]
        updated["edited"] = {"user": self.bot_user_id, "ts": next_ts()}
        self._state.messages[(channel, ts)] = updated
        return {"channel": channel, "ts": ts, "text": updated["text"], "message": updated}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        # A bot token deletes only the bot's own messages — never a secret a customer pasted.
        key, _ = self._own_message(params, "cant_delete_message")
        del self._state.messages[key]
        return {"channel": key[0], "ts": key[1]}

    def _use_trigger(self, trigger_id: Any) -> None:
        if not trigger_id:
            raise Refusal("invalid_arguments", messages=["[ERROR] missing required field: trigger_id"])
        match = re.fullmatch(r"(\d+)\.\d+\.[0-9a-f]+", str(trigger_id))
        if match is None:
            raise Refusal("invalid_trigger_id")
        if trigger_id in self._state.used_triggers:
            raise Refusal("exchanged_trigger_id")
        if time.time() - int(match.group(1)) / 1000 > self.trigger_ttl:
            raise Refusal("expired_trigger_id")
        self._state.used_triggers.add(trigger_id)

    def _store_view(self, view: dict[str, Any], *, view_id: str | None = None, root: str | None = None) -> dict[str, Any]:
        view_id = view_id or new_id("V")
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": None,
            "root_view_id": root or view_id,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._state.views[view_id] = stored
        return stored

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = _checked_view(params.get("view"), "modal")
        self._use_trigger(params.get("trigger_id"))
        return {"view": self._store_view(view)}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._views_open(params)

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next(
                (v["id"] for v in self._state.views.values() if v["external_id"] == params["external_id"]), None
            )
        current = self._state.views.get(view_id or "")
        if current is None:
            raise Refusal("not_found")
        view = _checked_view(params.get("view"), current["type"])
        if params.get("hash") and params["hash"] != current["hash"]:
            raise Refusal("hash_conflict")
        return {"view": self._store_view(view, view_id=current["id"], root=current["root_view_id"])}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id")
        if user_id not in self._state.users:
            raise Refusal("user_not_found")
        view = _checked_view(params.get("view"), "home")
        current = self._state.views.get(self._state.home_views.get(user_id, ""))
        if params.get("hash") and current is not None and params["hash"] != current["hash"]:
            raise Refusal("hash_conflict")
        stored = self._store_view(view, view_id=current["id"] if current else None)
        self._state.home_views[user_id] = stored["id"]
        return {"view": stored}

    _methods: dict[str, Callable[[WebApiMethods, dict[str, Any]], dict[str, Any]]] = {
        "auth.test": _auth_test,
        "users.info": _users_info,
        "usergroups.users.list": _usergroups_users_list,
        "conversations.open": _conversations_open,
        "chat.postMessage": _chat_post_message,
        "chat.postEphemeral": _chat_post_ephemeral,
        "chat.update": _chat_update,
        "chat.delete": _chat_delete,
        "views.open": _views_open,
        "views.push": _views_push,
        "views.update": _views_update,
        "views.publish": _views_publish,
    }


def bearer(header: str | None) -> str | None:
    if header and header.startswith("Bearer "):
        return header[len("Bearer ") :].strip() or None
    return None


def parse_body(raw: bytes, content_type: str) -> tuple[dict[str, Any], str | None]:
    """Parameters from a JSON or form body; the error name Slack would answer for a bad body."""
    if not raw:
        return {}, None
    if content_type == "application/json":
        try:
            params = json.loads(raw)
        except ValueError:
            return {}, "invalid_json"
        return (params, None) if isinstance(params, dict) else ({}, "invalid_json")
    params = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key in _JSON_FIELDS:
        if isinstance(params.get(key), str) and params[key]:
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                return {}, "invalid_arguments"
    return params, None


def _text_of(element: Any) -> str:
    return str(element.get("text", "")) if isinstance(element, dict) else ""


def _block_problems(blocks: Any, limit: int, pointer: str) -> list[str]:
    """The Block Kit limits tokendesk can run into, as Slack words its [ERROR] messages."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    problems = []
    if len(blocks) > limit:
        problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    for i, block in enumerate(blocks):
        if not isinstance(block, dict) or "type" not in block:
            problems.append(f"[ERROR] missing required field: type [json-pointer:{pointer}/{i}]")
            continue
        if block["type"] == "section":
            if len(_text_of(block.get("text"))) > 3000:
                problems.append(f"[ERROR] must be less than 3001 characters [json-pointer:{pointer}/{i}/text/text]")
            if len(block.get("fields") or []) > 10:
                problems.append(f"[ERROR] no more than 10 items allowed [json-pointer:{pointer}/{i}/fields]")
        if block["type"] == "header" and len(_text_of(block.get("text"))) > 150:
            problems.append(f"[ERROR] must be less than 151 characters [json-pointer:{pointer}/{i}/text/text]")
    return problems


def _checked_view(view: Any, view_type: str) -> dict[str, Any]:
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            raise Refusal("invalid_arguments", messages=["[ERROR] view must be JSON"]) from None
    if not isinstance(view, dict):
        raise Refusal("invalid_arguments", messages=["[ERROR] missing required field: view"])
    if view.get("type") != view_type:
        raise Refusal("invalid_arguments", messages=[f"[ERROR] view type must be {view_type} [json-pointer:/view/type]"])
    problems = _block_problems(view.get("blocks", []), _VIEW_BLOCK_LIMIT, "/view/blocks")
    if view_type == "modal":
        if not view.get("title"):
            problems.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        for key in ("title", "submit", "close"):
            if len(_text_of(view.get(key))) > 24:
                problems.append(f"[ERROR] must be less than 25 characters [json-pointer:/view/{key}/text]")
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id", ""))) > 255:
        problems.append("[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]")
    if problems:
        raise Refusal("invalid_arguments", messages=problems)
    return view
