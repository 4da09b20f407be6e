"""A local stand-in for Microsoft's side of a Teams bot, over real HTTP on 127.0.0.1.

Two parts on one aiohttp server (its own event loop in a background thread, because the SDK fetches
signing keys with a blocking urllib call from the app's loop):

- the token issuer: an RSA key made per run, an OpenID metadata document and its JWKS at the paths
  the SDK derives from `CloudEnvironment.openid_metadata_url`, and `sign()` for the Bearer JWT that
  Bot Framework puts on every activity it posts to the bot (and `bot_token()` for the tokens the
  bot presents to the connector);
- the Bot Framework connector the bot calls back (`serviceUrl`): create conversation, send to a
  conversation, reply, update an activity. Every call is recorded; a call without a token this
  issuer signed for the connector is refused with 401, as the real one does.

The activities Teams sends are built in bot.standins.teams.payloads.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides

from bot.standins.teams.payloads import APP_ID

ISSUER = "https://api.botframework.com"
CONNECTOR_AUDIENCE = "https://api.botframework.com"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Call:
    """One request the bot made to the connector."""

    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None
    body: dict[str, Any]
    status: int
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status < 300

    @property
    def kind(self) -> str:
        """create_conversation, send, reply or update."""
        if self.conversation_id is None:
            return "create_conversation"
        if self.method == "PUT":
            return "update"
        return "reply" if self.activity_id else "send"

    def card(self) -> dict[str, Any]:
        """The Adaptive Card this call carried (the activity's, or the created conversation's)."""
        activity = self.body.get("activity") if self.kind == "create_conversation" else self.body
        for attachment in (activity or {}).get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return dict(attachment["content"])
        return {}

    def text(self) -> str:
        """Everything a person would read: the activity's text and every string in its card."""
        activity = self.body.get("activity") if self.kind == "create_conversation" else self.body
        parts = [str((activity or {}).get("text") or ""), str((activity or {}).get("summary") or "")]
        parts.extend(_strings(self.card()))
        return "\n".join(part for part in parts if part)


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, Mapping):
        return [s for key, value in node.items() if key not in ("type", "id", "version") for s in _strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return []


class TeamsStandIn:
    """Token issuer and connector; `with TeamsStandIn() as teams:` starts and stops it."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        self.calls: list[Call] = []
        self.jwks_fetches = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1_700_000_000_001)
        self._failures: list[tuple[str, int, str | None, str]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> "TeamsStandIn":
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True, name="teams-standin")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("teams stand-in did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._sock.close()

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        app.router.add_post("/teams/v3/conversations", self._create_conversation)
        app.router.add_post("/teams/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/teams/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_put("/teams/v3/conversations/{conversation}/activities/{activity}", self._update)
        self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(self._runner.setup())
        site = web.SockSite(self._runner, self._sock)
        loop.run_until_complete(site.start())
        ready.set()
        loop.run_forever()
        loop.close()

    # --- addresses -----------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        """The connector's base URL, as Teams puts it in activity.serviceUrl."""
        return f"{self.root_url}/teams/"

    def cloud(self) -> CloudEnvironment:
        """Microsoft's public cloud with the key and token endpoints pointed here."""
        return with_overrides(
            PUBLIC,
            openid_metadata_url=f"{self.root_url}/v1/.well-known/openidconfiguration",
            token_issuer=ISSUER,
            login_endpoint=f"{self.root_url}/login",
            token_service_url=f"{self.root_url}/token",
        )

    # --- tokens --------------------------------------------------------------------------------

    def sign(
        self,
        activity: Mapping[str, Any],
        *,
        audience: str = APP_ID,
        issuer: str = ISSUER,
        service_url: str | None = None,
        expires_in: float = 3600,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
    ) -> str:
        """The Bearer JWT Bot Framework sends with `activity`."""
        now = int(time.time())
        claims = {
            "iss": issuer, "aud": audience, "iat": now - 10, "nbf": now - 10, "exp": now + int(expires_in),
            "serviceurl": service_url if service_url is not None else activity.get("serviceUrl"),
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def bot_token(self, scope: object = None, tenant_id: object = None) -> str:
        """A connector token for the bot (what Entra would issue for the client secret)."""
        now = int(time.time())
        claims = {"iss": "https://login.stand-in/", "aud": CONNECTOR_AUDIENCE, "appid": APP_ID,
                  "iat": now, "exp": now + 3600}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    # --- what tests look at ----------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()

    def fail_next(self, kind: str, status: int = 503, *, conversation: str | None = None,
                  code: str = "ServiceError") -> None:
        """The next `kind` call (create_conversation, send, reply, update) gets `status` with the
        connector's error `code`; with `conversation`, only a call to that conversation."""
        with self._lock:
            self._failures.append((kind, status, conversation, code))

    def sent(self, kind: str | None = None, conversation: str | None = None) -> list[Call]:
        """Successful calls, in order; `conversation` matches with or without ;messageid=."""
        with self._lock:
            calls = list(self.calls)
        return [
            c for c in calls if c.ok and (kind is None or c.kind == kind)
            and (conversation is None or (c.conversation_id or c.body.get("channelData", {}).get("channel", {})
                                          .get("id", "") or "").split(";")[0] == conversation.split(";")[0])
        ]

    async def wait_for(self, predicate: Callable[[Call], bool], *, timeout: float = 10.0) -> Call:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [c for c in self.calls if c.ok and predicate(c)]
            if found:
                return found[0]
            await asyncio.sleep(0.02)
        raise AssertionError("the bot did not make the expected connector call")

    # --- handlers ------------------------------------------------------------------------------

    async def _metadata(self, request: web.Request) -> web.Response:
        return web.json_response({
            "issuer": ISSUER,
            "authorization_endpoint": f"{self.root_url}/authorize",
            "jwks_uri": f"{self.root_url}/v1/.well-known/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        })

    async def _keys(self, request: web.Request) -> web.Response:
        numbers = self.key.public_key().public_numbers()
        with self._lock:
            self.jwks_fetches += 1
        return web.json_response({"keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": _b64(numbers.n), "e": _b64(numbers.e),
            "endorsements": ["msteams"],
        }]})

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False
        try:
            jwt.decode(header[7:], self.key.public_key(), algorithms=["RS256"], audience=CONNECTOR_AUDIENCE)
        except jwt.InvalidTokenError:
            return False
        return True

    async def _answer(self, request: web.Request, kind: str, conversation: str | None, activity: str | None,
                      make: Callable[[dict[str, Any]], dict[str, Any]]) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        status, response = 200, {}
        with self._lock:
            failure = next((f for f in self._failures if f[0] == kind and f[2] in (None, conversation)), None)
            if failure is not None:
                self._failures.remove(failure)
        if not self._authorised(request):
            status, response = 401, {"error": {"code": "Unauthorized", "message": "token missing or invalid"}}
        elif failure is not None:
            status, response = failure[1], {"error": {"code": failure[3], "message": "injected failure"}}
        else:
            status, response = (201 if kind != "update" else 200), make(body)
        call = Call(method=request.method, path=request.path, conversation_id=conversation, activity_id=activity,
                    body=body, status=status, response=response)
        with self._lock:
            self.calls.append(call)
        return web.json_response(response, status=status)

    def _new_id(self) -> str:
        with self._lock:
            return str(next(self._ids))

    async def _create_conversation(self, request: web.Request) -> web.Response:
        def make(body: dict[str, Any]) -> dict[str, Any]:
            channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
            if channel:  # a new thread in a channel: its root post is the activity
                root = self._new_id()
                return {"id": f"{channel};messageid={root}", "activityId": root, "serviceUrl": self.service_url}
            return {"id": f"a:personal-{uuid.uuid4().hex[:12]}", "activityId": self._new_id()}

        return await self._answer(request, "create_conversation", None, None, make)

    async def _send(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        activity = request.match_info.get("activity")
        return await self._answer(request, "reply" if activity else "send", conversation, activity,
                                  lambda body: {"id": self._new_id()})

    async def _update(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        activity = request.match_info["activity"]
        return await self._answer(request, "update", conversation, activity, lambda body: {"id": activity})
