"""A local stand-in for Slack: its Web API and response_url over real HTTP. The signed requests
Slack would send to tokendesk's /slack/events are built in bot.standins.slack.payloads.

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
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.standins.slack.channels import CHANNEL_METHODS, ChannelMethods
from bot.standins.slack.inspection import Inspection
from bot.standins.slack.methods import Call, Failure, Refusal, State, WebApiMethods, bearer, parse_body
from bot.standins.slack.workspace import (
    APP_ID,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    MAX_RESPONSE_URL_POSTS,
    TEAM_DOMAIN,
    TEAM_ID,
    TRIGGER_TTL_S,
    new_id,
    next_ts,
)


class SlackStandIn(Inspection, ChannelMethods, WebApiMethods):
    """Slack's Web API (under /api/) and response_url (under /response/) on 127.0.0.1.

    Users and user groups are configured with add_user / add_usergroup; the bot user exists from
    the start. Every request is recorded (see Call); reset() forgets calls, messages, views,
    injected failures, response_url counts and known triggers, turns external modals back on, and keeps
    users, groups and channels.
    """

    _methods = {**WebApiMethods._methods, **CHANNEL_METHODS}  # type: ignore[dict-item]

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
        self._state = State()
        self._channels: dict[str, dict[str, Any]] = {}
        self._trigger_users: dict[str, str] = {}
        self.external_modals = True
        """False: views.open refuses a trigger of a user of another team (see bot.standins.slack.channels)."""
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
            user["profile"]["bot_id"] = self.bot_id if user_id == self.bot_user_id else new_id("B")
        with self._cond:
            self._state.users[user_id] = user
        return user

    def add_channel(self, channel_id: str, name: str = "shared", *, shared: bool = False, ext_shared: bool = False,
                    member: bool = True, other_team: str | None = None) -> None:
        """A channel conversations.info knows: shared with another organisation (Slack Connect)
        with ext_shared; `member` False makes chat.postMessage there answer not_in_channel."""
        channel = self._new_channel(channel_id, name, shared=shared, ext_shared=ext_shared, member=member,
                                    other_team=other_team)
        with self._cond:
            self._channels[channel_id] = channel

    def trigger_for(self, user_id: str) -> str:
        """A fresh trigger_id the stand-in knows to be `user_id`'s (for views.open's team rule)."""
        with self._cond:
            return self._remember_trigger(user_id)

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
        target: str | None = None,
    ) -> None:
        """Answer the next `count` calls of `method` with an error instead of the real answer.

        "ratelimited" defaults to HTTP 429 with Retry-After: 1, as Slack sends it; other errors
        default to HTTP 200 {"ok": false, "error": error}. status=500 plays a Slack outage.
        method may be "response_url" (the body is then the error text). `target`: only calls for that
        channel or user (chat.postMessage's `channel`, conversations.open's `users`); others pass.
        """
        if status is None:
            status = 429 if error == "ratelimited" else 200
        if retry_after is None and status == 429:
            retry_after = 1
        with self._cond:
            self._state.failures.setdefault(method, deque()).append(
                Failure(error=error, status=status, retry_after=retry_after, remaining=count, target=target)
            )

    def reset(self) -> None:
        with self._cond:
            self.external_modals = True
            self._trigger_users.clear()
            users, groups = self._state.users, self._state.usergroups
            self._state = State(users=users, usergroups=groups)
            self._cond.notify_all()

    # HTTP

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        at, perf = time.time(), time.perf_counter()
        method = request.match_info["method"]
        raw = await request.read()
        params = dict(request.query)
        body_params, parse_error = parse_body(raw, request.content_type)
        params.update(body_params)
        token = bearer(request.headers.get("Authorization")) or params.get("token")
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

    def _take_failure(self, method: str, params: dict[str, Any] | None = None) -> Failure | None:
        queue = self._state.failures.get(method)
        failure = next((f for f in queue or () if f.matches(params or {})), None)
        if failure is None or queue is None:
            return None
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.remove(failure)
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
            failure = self._take_failure(method, params)
            if failure is not None:
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return failure.status, {"ok": False, "error": failure.error}, headers
            try:
                return 200, {"ok": True, **operation(self, params)}, {}
            except Refusal as refusal:
                answer: dict[str, Any] = {"ok": False, "error": refusal.error}
                if refusal.messages:
                    answer["response_metadata"] = {"messages": refusal.messages}
                return 200, answer, {}
