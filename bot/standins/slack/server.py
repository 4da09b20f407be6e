"""A local stand-in for Slack: its Web API and response_url over real HTTP, and the signed
requests Slack would send to tokendesk's /slack/events.

    with SlackStandIn() as slack:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
        ...
        [post] = slack.wait_for("chat.postMessage", lambda c: c.params["channel"] == "C0SUPPORT")

The server runs aiohttp on its own event loop in a background thread, so it serves the app
under test whatever loop or thread that runs on, and keeps up with benchmark load. Answers follow
Slack's documented shapes and errors for the methods tokendesk calls; anything else is
`unknown_method`, so a new dependency on Slack shows up as a failing test rather than silence.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import re
import secrets
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

# One installed workspace; tests and benchmarks share these so payloads and API answers agree.
TEAM_ID = "T0TOKDESK"
TEAM_DOMAIN = "tokendesk-test"
APP_ID = "A0TOKDESK"
BOT_USER_ID = "U0TOKBOT"
BOT_ID = "B0TOKBOT"
BOT_TOKEN = "xoxb-0000000000-tokendesk-test"
SIGNING_SECRET = "tokendesk-test-signing-secret"
# Slack still puts the deprecated verification token in payloads; bolt ignores it.
VERIFICATION_TOKEN = "deprecated-verification-token"

MAX_RESPONSE_URL_POSTS = 5  # Slack: at most 5 posts per response_url (within 30 minutes)
TRIGGER_TTL_S = 3.0  # Slack: a trigger_id must be used within 3 seconds, once

_MESSAGE_BLOCK_LIMIT = 50
_VIEW_BLOCK_LIMIT = 100
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")  # JSON strings in form bodies


# --- ids and timestamps --------------------------------------------------------------------------

_ts_lock = threading.Lock()
_last_ts_us = 0
_sequence = itertools.count(1)


def next_ts() -> str:
    """A message ts as Slack writes them ("1763800000.000100"): wall-clock seconds with six
    decimals, unique and increasing across the whole test process — payload builders and the
    stand-in share it, so a customer's message never collides with a bot message."""
    global _last_ts_us
    with _ts_lock:
        _last_ts_us = max(_last_ts_us + 1, int(time.time() * 1_000_000))
        return f"{_last_ts_us // 1_000_000}.{_last_ts_us % 1_000_000:06d}"


def new_trigger_id(issued_at: float | None = None) -> str:
    """A trigger_id in Slack's shape ("<digits>.<digits>.<hex>"); the first part carries the
    issue time in milliseconds so the stand-in can expire it like Slack does after 3 s."""
    issued = time.time() if issued_at is None else issued_at
    return f"{int(issued * 1000)}.{next(_sequence)}.{secrets.token_hex(10)}"


def dm_channel(user_id: str) -> str:
    """The stand-in's stable DM channel between the bot and `user_id` ("U0CUST" -> "D0CUST")."""
    return "D" + user_id[1:]


def _new_id(prefix: str) -> str:
    return f"{prefix}{next(_sequence):04d}{secrets.token_hex(3).upper()}"


def _truthy(value: Any) -> bool:
    # slack_sdk sends booleans as "1"/"0" in forms and query strings, true/false in JSON.
    return value is True or str(value).lower() in ("1", "true")


# --- recorded calls ------------------------------------------------------------------------------


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
class _Failure:
    error: str
    status: int
    retry_after: int | None
    remaining: int


class _Refusal(Exception):
    """A Slack error answer: HTTP 200 with {"ok": false, "error": ...} unless said otherwise."""

    def __init__(self, error: str, *, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages


@dataclass
class _State:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, deque[_Failure]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    home_views: dict[str, str] = field(default_factory=dict)  # user -> view id
    opened: set[str] = field(default_factory=set)  # channels opened by conversations.open
    used_triggers: set[str] = field(default_factory=set)
    response_url_posts: dict[str, int] = field(default_factory=dict)


# --- the server ----------------------------------------------------------------------------------


class SlackStandIn:
    """Slack's Web API (under /api/) and response_url (under /response/) on 127.0.0.1.

    Users and user groups are configured with add_user / add_usergroup; the bot user exists from
    the start. Every request is recorded (see Call); reset() forgets calls, messages, views,
    injected failures and response_url counts, and keeps users and groups.
    """

    def __init__(
        self,
        *,
        token: str = BOT_TOKEN,
        team_id: str = TEAM_ID,
        team_domain: str = TEAM_DOMAIN,
        app_id: str = APP_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        latency: float = 0.0,
        trigger_ttl: float = TRIGGER_TTL_S,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.team_domain = team_domain
        self.app_id = app_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.latency = latency
        """Seconds every answer is delayed, to play a slower Slack in benchmarks."""
        self.trigger_ttl = trigger_ttl
        self._cond = threading.Condition()
        self._state = _State()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._startup_error: BaseException | None = None
        self.add_user(bot_user_id, name="tokendesk", is_bot=True, locale="en-US")

    # lifecycle

    def start(self) -> SlackStandIn:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="slack-standin", daemon=True)
        self._thread.start()
        if not self._started.wait(10) or self._startup_error is not None:
            raise RuntimeError("the Slack stand-in did not start") from self._startup_error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{name}", self._handle_response_url)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        try:
            loop.run_until_complete(runner.setup())
            # A deep backlog: benchmarks open hundreds of connections at once.
            loop.run_until_complete(web.SockSite(runner, self._sock, backlog=1024).start())
        except BaseException as error:  # reported to start(), which raises it
            self._startup_error = error
            self._started.set()
            loop.close()
            return
        self._loop = loop
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    # addresses

    @property
    def port(self) -> int:
        assert self._sock is not None, "start the stand-in first"
        return self._sock.getsockname()[1]

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For AsyncWebClient(base_url=...) and TOKENDESK_SLACK_API_URL."""
        return f"{self.root_url}/api/"

    def response_url(self, name: str) -> str:
        """A response_url for one slash command or interaction; posts to it are recorded as
        calls with method "response_url" and this name."""
        return f"{self.root_url}/response/{name}"

    # configuration

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        locale: str = "nl-NL",
        team_id: str | None = None,
        is_bot: bool = False,
        tz: str = "Europe/Amsterdam",
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Make a user known to users.info and conversations.open; team_id other than the
        workspace's plays a Slack Connect user."""
        name = name or user_id.lower()
        real_name = real_name or name.title()
        offset = ZoneInfo(tz).utcoffset(datetime.now())
        user = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": name,
            "deleted": deleted,
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": name,
                "display_name_normalized": name,
                "first_name": real_name.split(" ")[0],
                "last_name": " ".join(real_name.split(" ")[1:]),
                "team": team_id or self.team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "locale": locale,
        }
        if is_bot:
            user["profile"]["bot_id"] = self.bot_id if user_id == self.bot_user_id else _new_id("B")
        with self._cond:
            self._state.users[user_id] = user
        return user

    def add_usergroup(self, usergroup_id: str, members: Iterable[str]) -> None:
        with self._cond:
            self._state.usergroups[usergroup_id] = list(members)

    def add_message(
        self, channel: str, user: str, text: str, *, ts: str | None = None, thread_ts: str | None = None
    ) -> str:
        """Record a message a person posted (for chat.update/chat.delete to refuse); returns its ts.
        Pass the same ts as the message event you deliver to the app."""
        ts = ts or next_ts()
        message = {"type": "message", "user": user, "text": text, "ts": ts, "team": self.team_id}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._cond:
            self._state.messages[(channel, ts)] = message
        return ts

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next `count` calls of `method` with an error instead of the real answer.

        "ratelimited" defaults to HTTP 429 with Retry-After: 1, as Slack sends it; other errors
        default to HTTP 200 {"ok": false, "error": error}. status=500 plays a Slack outage.
        method may be "response_url" (the body is then the error text).
        """
        if status is None:
            status = 429 if error == "ratelimited" else 200
        if retry_after is None and status == 429:
            retry_after = 1
        with self._cond:
            self._state.failures.setdefault(method, deque()).append(
                _Failure(error=error, status=status, retry_after=retry_after, remaining=count)
            )

    def reset(self) -> None:
        with self._cond:
            users, groups = self._state.users, self._state.usergroups
            self._state = _State(users=users, usergroups=groups)
            self._cond.notify_all()

    # inspection

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._state.calls if method is None or c.method == method]

    def responses(self, name: str | None = None) -> list[Call]:
        """Posts to response_urls (all, or those of one name)."""
        return [c for c in self.calls("response_url") if name is None or c.name == name]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Block until at least `count` recorded calls of `method` match `predicate`; return all
        that match. Raises AssertionError naming what did arrive when `timeout` runs out.

        This blocks its thread: from a coroutine whose loop also runs the app, use
        wait_for_async."""
        deadline = time.monotonic() + timeout
        seen = -1
        while True:
            with self._cond:
                if len(self._state.calls) == seen:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        snapshot = list(self._state.calls)
                        break
                    self._cond.wait(remaining)
                snapshot = list(self._state.calls)
            seen = len(snapshot)
            matches = [c for c in snapshot if c.method == method and (predicate is None or predicate(c))]
            if len(matches) >= count:
                return matches
        received = ", ".join(f"{c.method}({c.status})" for c in snapshot) or "nothing"
        raise AssertionError(
            f"waited {timeout}s for {count} matching {method} call(s), got {len(matches)}; received: {received}"
        )

    async def wait_for_async(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """wait_for without blocking the caller's event loop."""
        return await asyncio.to_thread(self.wait_for, method, predicate, count, timeout)

    def messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Messages as they stand now (after updates and deletes), oldest first."""
        with self._cond:
            found = [
                dict(m, channel=ch)
                for (ch, _), m in self._state.messages.items()
                if (channel is None or ch == channel) and (thread_ts is None or m.get("thread_ts") == thread_ts)
            ]
        return sorted(found, key=lambda m: m["ts"])

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._cond:
            return self._state.views.get(view_id)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view last published for a user."""
        with self._cond:
            view_id = self._state.home_views.get(user_id)
            return self._state.views.get(view_id) if view_id else None

    # HTTP

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        at, perf = time.time(), time.perf_counter()
        method = request.match_info["method"]
        raw = await request.read()
        params = dict(request.query)
        body_params, parse_error = _parse_body(raw, request.content_type)
        params.update(body_params)
        token = _bearer(request.headers.get("Authorization")) or params.get("token")
        params.pop("token", None)
        if self.latency:
            await asyncio.sleep(self.latency)
        status, answer, headers = self._answer(method, token, params, parse_error)
        self._record(
            Call(
                method=method,
                params=params,
                headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
                at=at,
                perf_counter=perf,
                status=status,
                response=answer,
            )
        )
        return web.json_response(answer, status=status, headers=headers)

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        at, perf = time.time(), time.perf_counter()
        name = request.match_info["name"]
        raw = await request.read()
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            payload = None
        with self._cond:
            failure = self._take_failure("response_url")
            used = self._state.response_url_posts.get(name, 0)
            if failure is not None:
                status, text = failure.status, failure.error
            elif not isinstance(payload, dict):
                status, text = 400, "invalid_payload"
            elif used >= MAX_RESPONSE_URL_POSTS:
                # Slack's wording for a used-up response_url is unconfirmed; the limit is not.
                status, text = 404, "used_url"
            else:
                self._state.response_url_posts[name] = used + 1
                status, text = 200, "ok"
        self._record(
            Call(
                method="response_url",
                params=payload if isinstance(payload, dict) else {"raw": raw.decode("utf-8", "replace")},
                headers=dict(request.headers),
                at=at,
                perf_counter=perf,
                status=status,
                response=text,
                name=name,
            )
        )
        return web.Response(text=text, status=status, content_type="text/html")

    def _record(self, call: Call) -> None:
        with self._cond:
            self._state.calls.append(call)
            self._cond.notify_all()

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._state.failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        return failure

    def _answer(
        self, method: str, token: str | None, params: dict[str, Any], parse_error: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        operation = self._methods.get(method)
        if operation is None:
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if token != self.token:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        if parse_error:
            return 200, {"ok": False, "error": parse_error}, {}
        with self._cond:
            failure = self._take_failure(method)
            if failure is not None:
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return failure.status, {"ok": False, "error": failure.error}, headers
            try:
                return 200, {"ok": True, **operation(self, params)}, {}
            except _Refusal as refusal:
                answer: dict[str, Any] = {"ok": False, "error": refusal.error}
                if refusal.messages:
                    answer["response_metadata"] = {"messages": refusal.messages}
                return 200, answer, {}

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
            raise _Refusal("user_not_found")
        user = json.loads(json.dumps(user))
        if not _truthy(params.get("include_locale")):
            user.pop("locale")
        return {"user": user}

    def _usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        members = self._state.usergroups.get(params.get("usergroup", ""))
        if members is None:
            raise _Refusal("no_such_subteam")
        return {"users": list(members)}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            channel_id = params["channel"]
            users: list[str] = []
        else:
            users = [u for u in str(params.get("users", "")).split(",") if u]
            if not users:
                raise _Refusal("users_list_not_supplied")
            if any(u not in self._state.users for u in users):
                raise _Refusal("user_not_found")
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
                raise _Refusal("channel_not_found")
            return dm_channel(channel)
        if not channel:
            raise _Refusal("channel_not_found")
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
            raise _Refusal("no_text")
        if len(str(params.get("text") or "")) > 40_000:
            raise _Refusal("msg_too_long")
        if "blocks" in params:
            problems = _block_problems(params["blocks"], _MESSAGE_BLOCK_LIMIT, "/blocks")
            if problems:
                raise _Refusal("invalid_blocks", messages=problems)

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
            raise _Refusal("user_not_found")
        self._check_message(params)
        return {"message_ts": next_ts()}

    def _own_message(self, params: dict[str, Any], refusal: str) -> tuple[tuple[str, str], dict[str, Any]]:
        key = (str(params.get("channel") or ""), str(params.get("ts") or ""))
        message = self._state.messages.get(key)
        if message is None:
            raise _Refusal("message_not_found")
        if message.get("bot_id") != self.bot_id:
            raise _Refusal(refusal)
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
            raise _Refusal("invalid_arguments", messages=["[ERROR] missing required field: trigger_id"])
        match = re.fullmatch(r"(\d+)\.\d+\.[0-9a-f]+", str(trigger_id))
        if match is None:
            raise _Refusal("invalid_trigger_id")
        if trigger_id in self._state.used_triggers:
            raise _Refusal("exchanged_trigger_id")
        if time.time() - int(match.group(1)) / 1000 > self.trigger_ttl:
            raise _Refusal("expired_trigger_id")
        self._state.used_triggers.add(trigger_id)

    def _store_view(self, view: dict[str, Any], *, view_id: str | None = None, root: str | None = None) -> dict[str, Any]:
        view_id = view_id or _new_id("V")
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
            raise _Refusal("not_found")
        view = _checked_view(params.get("view"), current["type"])
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _Refusal("hash_conflict")
        return {"view": self._store_view(view, view_id=current["id"], root=current["root_view_id"])}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id")
        if user_id not in self._state.users:
            raise _Refusal("user_not_found")
        view = _checked_view(params.get("view"), "home")
        current = self._state.views.get(self._state.home_views.get(user_id, ""))
        if params.get("hash") and current is not None and params["hash"] != current["hash"]:
            raise _Refusal("hash_conflict")
        stored = self._store_view(view, view_id=current["id"] if current else None)
        self._state.home_views[user_id] = stored["id"]
        return {"view": stored}

    _methods: dict[str, Callable[[SlackStandIn, dict[str, Any]], dict[str, Any]]] = {
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


def _bearer(header: str | None) -> str | None:
    if header and header.startswith("Bearer "):
        return header[len("Bearer ") :].strip() or None
    return None


def _parse_body(raw: bytes, content_type: str) -> tuple[dict[str, Any], str | None]:
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
            raise _Refusal("invalid_arguments", messages=["[ERROR] view must be JSON"]) from None
    if not isinstance(view, dict):
        raise _Refusal("invalid_arguments", messages=["[ERROR] missing required field: view"])
    if view.get("type") != view_type:
        raise _Refusal("invalid_arguments", messages=[f"[ERROR] view type must be {view_type} [json-pointer:/view/type]"])
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
        raise _Refusal("invalid_arguments", messages=problems)
    return view


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
            "event_id": event_id or _new_id("Ev"),
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


_LINKABLE = re.compile(
    r"(?P<url>https?://[^\s<>]*[^\s<>.,;:!?)\]'\"])"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_markup(typed: str) -> tuple[str, list[dict[str, Any]]]:
    """What Slack makes of text a person typed: the `text` field (with &, <, > escaped, e-mail
    addresses as <mailto:a@b.nl|a@b.nl> and URLs as <https://...>) and the rich_text blocks.
    Bare domains, which Slack also links, are left alone."""
    text, elements, pos = [], [], 0
    for match in _LINKABLE.finditer(typed):
        if match.start() > pos:
            text.append(_escape(typed[pos : match.start()]))
            elements.append({"type": "text", "text": typed[pos : match.start()]})
        if match.group("email"):
            email = match.group("email")
            text.append(f"<mailto:{email}|{email}>")
            elements.append({"type": "link", "url": f"mailto:{email}", "text": email})
        else:
            url = match.group("url")
            text.append(f"<{_escape(url)}>")
            elements.append({"type": "link", "url": url})
        pos = match.end()
    if pos < len(typed):
        text.append(_escape(typed[pos:]))
        elements.append({"type": "text", "text": typed[pos:]})
    blocks = [
        {
            "type": "rich_text",
            "block_id": secrets.token_hex(3),
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]
    return "".join(text), blocks


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
    view_id = view_id or _new_id("V")
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
