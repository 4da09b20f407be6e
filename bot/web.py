"""The ASGI app: POST /slack/events (bolt), GET /healthz, GET /metrics and the hand-off API under /api/v1.

Slack's endpoint is guarded before bolt sees anything: the body is read with a size cap (413),
the signature is checked on the raw bytes (401, nothing parsed, nothing logged), and only then
is the body parsed (400 when it is not the JSON or form Slack sends).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api import api_mount
from bot.metrics import Metrics
from handlers.trace import correlation_id, new_correlation_id
from storage.db import DatabaseGone

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
#: The largest request body accepted (Slack's own payloads stay far below this).
MAX_BODY = 1024 * 1024
DATABASE_TIMEOUT_S = 3.0
#: Slack's rule: a signed request older (or newer) than five minutes is a replay.
MAX_SKEW_S = 300

#: A lifespan hook: entered at start-up, left at shutdown (the scheduler plugs in here).
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
#: A health check: returns (ok, reason); sync or async.
HealthCheck = Callable[[], "tuple[bool, str] | Awaitable[tuple[bool, str]]"]


class BodyTooLarge(Exception):
    """More than the allowed bytes arrived (answered 413)."""


class BadBody(Exception):
    """The body is not the JSON or form Slack sends (answered 400); the message says which."""


class BodyLimit:
    """ASGI middleware: refuse a declared Content-Length above the limit before any route runs
    (counted in tokendesk_slack_requests when it was Slack's endpoint)."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY, metrics: Metrics | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope.get("headers") or []).get(b"content-length")
            status = None
            if declared is not None:
                if not declared.isdigit():
                    status, error = 400, "bad content-length"
                elif int(declared) > self.max_body:
                    status, error = 413, "request body too large"
            if status is not None:
                log.info("http: request to %s refused (%s): %s", scope.get("path"), status, error)
                if self.metrics is not None and scope.get("path") == SLACK_PATH:
                    self.metrics.slack_requests.labels(kind="unknown", status=str(status)).inc()
                response = JSONResponse({"error": error}, status_code=status)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class CorrelationId:
    """ASGI middleware: a fresh correlation id per HTTP request, in handlers.trace.correlation_id for
    every log line of the request (and of the tasks it starts: bolt's listeners, the outbox), and
    in the `X-Request-Id` response header, so a person can quote it and support can find the lines."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_correlation_id()
        # Not reset afterwards: uvicorn runs each request in a task of its own, which ends with it,
        # and its "Exception in ASGI application" line, logged after this returns, keeps the id.
        correlation_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("X-Request-Id", request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refusing (BodyTooLarge) as soon as more than `limit` bytes streamed in."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def parse_slack_body(body: bytes, content_type: str) -> dict[str, Any]:
    """What bolt will parse, parsed strictly first: BadBody instead of an exception inside bolt."""
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("body is not UTF-8") from None
    try:
        if content_type.split(";")[0].strip() == "application/json" or raw.startswith("{"):
            parsed = json.loads(raw)
        else:
            fields = dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw)))
            parsed = json.loads(fields["payload"]) if "payload" in fields else fields
    except ValueError:
        raise BadBody("body is neither JSON nor a form") from None
    except RecursionError:  # nested deeper than the decoder goes: no payload of Slack's is
        raise BadBody("body is nested too deeply") from None
    if not isinstance(parsed, dict):
        raise BadBody("body is not an object")
    _check_shape(parsed, _TOP_FIELDS, "")
    # Bolt reads these without a check: event.type for every event, view.type for a view's payloads.
    for name in ("event", "view"):
        if name in parsed:
            _check_shape(parsed[name], _INNER_FIELDS[name], f"{name}.")
            if not isinstance(parsed[name].get("type"), str):
                raise BadBody(f"{name} has no type")
    return parsed


_NOTHING = type(None)
# The fields bolt and our listeners read without checking their type; a signed body with another
# shape (only Slack, or someone holding the signing secret, can send one) is refused with 400
# instead of failing inside bolt with a 500.
_TOP_FIELDS: dict[str, tuple[type, ...]] = {
    "type": (str,), "event": (dict,), "view": (dict,), "actions": (list,), "authorizations": (list,),
    "container": (dict,), "user": (dict, str), "team": (dict, str, _NOTHING), "enterprise": (dict, str, _NOTHING),
    "channel": (dict, str), "message": (dict,), "event_id": (str,), "team_id": (str, _NOTHING),
    "trigger_id": (str,), "command": (str,), "text": (str,), "user_id": (str,),
    "response_url": (str,), "response_urls": (list,),
}
_INNER_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "event": {
        "type": (str,), "subtype": (str, _NOTHING), "user": (str,), "text": (str,), "channel": (str,),
        "ts": (str,), "thread_ts": (str,), "bot_id": (str, _NOTHING), "message": (dict,),
        "previous_message": (dict,), "team": (str,), "user_team": (str,), "tab": (str,), "view": (dict,),
    },
    "view": {
        "type": (str,), "id": (str,), "callback_id": (str,), "private_metadata": (str,), "state": (dict,),
        "hash": (str,), "team_id": (str, _NOTHING), "blocks": (list,),
    },
}


def _check_shape(payload: Mapping[str, Any], fields: Mapping[str, tuple[type, ...]], prefix: str) -> None:
    for name, types in fields.items():
        if name in payload and not isinstance(payload[name], types):
            raise BadBody(f"{prefix}{name} has an unexpected type")
    for name in ("actions", "authorizations", "response_urls"):
        if any(not isinstance(item, dict) for item in payload.get(name) or []):
            raise BadBody(f"{prefix}{name} holds something other than objects")


def signature_valid(secret: bytes, body: bytes, *, timestamp: str, signature: str, now: float | None = None) -> bool:
    """Slack's v0 signature over the raw bytes, at most five minutes old (as slack_sdk checks it,
    without its UTF-8 decoding, which a forged binary body would crash)."""
    if not timestamp.isdigit() or abs((time.time() if now is None else now) - int(timestamp)) > MAX_SKEW_S:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


#: Interactive payload types and their label; other interactive types are "other".
_INTERACTIVE_KINDS = {
    "block_actions": "action", "block_suggestion": "action", "view_submission": "view_submission",
    "view_closed": "view_closed", "shortcut": "shortcut", "message_action": "shortcut",
}


def request_kind(payload: Mapping[str, Any]) -> str:
    """A small fixed set of labels for the requests counter."""
    kind = payload.get("type")
    if kind == "event_callback":
        return "event"
    if kind == "url_verification":
        return "url_verification"
    if isinstance(kind, str) and kind in _INTERACTIVE_KINDS:
        return _INTERACTIVE_KINDS[kind]
    if payload.get("command"):
        return "command"
    if payload.get("ssl_check"):
        return "ssl_check"
    return "other"


class SlackEndpoint:
    """POST /slack/events: the guard in front of bolt, and the requests counter."""

    def __init__(self, bolt: AsyncApp, *, signing_secret: str, metrics: Metrics, max_body: int = MAX_BODY) -> None:
        self.bolt = bolt
        self.secret = signing_secret.encode()
        self.metrics = metrics
        self.max_body = max_body

    async def __call__(self, request: Request) -> Response:
        kind = "unknown"
        try:
            response, kind = await self._handle(request)
        except BodyTooLarge:
            log.info("slack: request refused, body larger than %s bytes", self.max_body)
            response = JSONResponse({"error": "request body too large"}, status_code=413)
        except BadBody as exc:
            # Only a signed body gets here: one line with the reason, never the body.
            log.info("slack: request refused, %s", exc)
            response = JSONResponse({"error": str(exc)}, status_code=400)
        self.metrics.slack_requests.labels(kind=kind, status=str(response.status_code)).inc()
        return response

    async def _handle(self, request: Request) -> tuple[Response, str]:
        body = await read_body(request, self.max_body)
        # Checked on the raw bytes before anything is parsed; bolt checks again (defence in depth),
        # but a forged request never reaches bolt, which would log its body.
        if not signature_valid(
            self.secret, body,
            timestamp=request.headers.get("x-slack-request-timestamp", ""),
            signature=request.headers.get("x-slack-signature", ""),
        ):
            return JSONResponse({"error": "invalid request"}, status_code=401), "unknown"
        payload = parse_slack_body(body, request.headers.get("content-type", ""))
        kind = request_kind(payload)
        bolt_response = await self.bolt.async_dispatch(ParsedBoltRequest(request, body, payload))
        return to_starlette_response(bolt_response), kind


class ParsedBoltRequest(AsyncBoltRequest):
    """Bolt's request with our parse of the body instead of bolt's own.

    Bolt takes any form body that contains the text `payload` anywhere (a slash command's
    `text=status payload`) for an interactive payload, finds no such field and dispatches an empty
    body: "unhandled request". The raw body stays for bolt's signature check."""

    def __init__(self, request: Request, body: bytes, payload: dict[str, Any]) -> None:
        super().__init__(body=body.decode("utf-8"), query=request.query_params,  # type: ignore[arg-type]
                         headers=request.headers)  # type: ignore[arg-type]
        self.body = payload
        self.context = build_async_context(AsyncBoltContext({}), payload)

    def to_copyable(self) -> AsyncBoltRequest:
        # A lazy listener's copy is parsed again from the raw body: keep ours there too.
        copy = super().to_copyable()
        copy.body = self.body
        return copy


async def _database_ok(sessions: async_sessionmaker[AsyncSession]) -> tuple[bool, str]:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_S):
            async with sessions() as session:
                # A table, not `SELECT 1`: SQLite answers that without reading the file, and a new
                # empty file where the database was (deleted, volume not mounted) must fail too.
                await session.execute(text("SELECT version_num FROM alembic_version"))
    except TimeoutError:
        return False, "timeout"
    except DatabaseGone:
        return False, "database file deleted or replaced; restore it and restart"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer; the type names it, never the DSN
        return False, f"unavailable ({type(exc).__name__})"
    return True, "ok"


async def _run_check(check: HealthCheck) -> tuple[bool, str]:
    result = check()
    if inspect.isawaitable(result):
        result = await result
    return result  # type: ignore[return-value]


def build_web_app(
    sessions: async_sessionmaker[AsyncSession],
    *,
    metrics: Metrics,
    bolt: AsyncApp | None = None,
    signing_secret: str | None = None,
    lifespans: Sequence[Lifespan] = (),
    health_checks: Mapping[str, HealthCheck] | None = None,
    max_body: int = MAX_BODY,
    api: FastAPI | None = None,
    post_routes: Mapping[str, Callable[..., Any]] | None = None,
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The web app. Without `bolt` (Socket Mode) it serves only /healthz and /metrics.

    `lifespans` are entered in order at start-up and left in reverse at shutdown; the scheduler
    adds its own there. `health_checks` name extra checks for /healthz (e.g. "scheduler"); a
    failing one makes /healthz answer 503. `app.state.health_checks` may be extended later.
    `post_routes` are further POST endpoints by path (Teams' /api/messages); `routers` further
    pages (the invitation pages, bot.pages)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for hook in lifespans:
                await stack.enter_async_context(hook(app))
            yield

    app = FastAPI(title="tokendesk", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.metrics = metrics
    app.state.health_checks = dict(health_checks or {})
    app.state.health_checks.setdefault("scheduler", lambda: (True, "not running in this process"))
    app.add_middleware(BodyLimit, max_body=max_body, metrics=metrics)
    app.add_middleware(CorrelationId)  # added last, so outermost: even a refused body gets an id

    if bolt is not None:
        if not signing_secret:
            raise ValueError("serving /slack/events needs the signing secret")
        endpoint = SlackEndpoint(bolt, signing_secret=signing_secret, metrics=metrics, max_body=max_body)
        app.add_api_route(SLACK_PATH, endpoint, methods=["POST"], include_in_schema=False)

    for path, route in (post_routes or {}).items():
        app.add_api_route(path, route, methods=["POST"], include_in_schema=False)

    for router in routers:
        app.include_router(router)

    if api is not None:
        # The hand-off API (bot.api.build_api), with its own auth, errors and OpenAPI document.
        app.router.routes.append(api_mount(api))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        ok, reason = await _database_ok(sessions)
        answer: dict[str, Any] = {"database": reason}
        for name, check in app.state.health_checks.items():
            try:
                check_ok, check_reason = await _run_check(check)
            except Exception as exc:  # noqa: BLE001 - a broken check is a failing check
                check_ok, check_reason = False, f"check failed ({type(exc).__name__})"
            ok = ok and check_ok
            answer[name] = check_reason
        return JSONResponse({"status": "ok" if ok else "failing", **answer}, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def scrape() -> Response:
        return Response(await metrics.render(), media_type=metrics.content_type)

    return app
