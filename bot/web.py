"""The ASGI app: GET /healthz, GET /metrics, the hand-off API under /api/v1, and the POST routes the
chat sides bring (Slack's /slack/events from bot.slack.endpoint, Teams' /api/messages); the size cap
and the correlation id in front of all of them."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api import api_mount
from bot.metrics import Metrics
from handlers.trace import correlation_id, new_correlation_id
from storage.db import DatabaseGone, schema_version

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
#: The largest request body accepted (Slack's own payloads stay far below this).
MAX_BODY = 1024 * 1024
DATABASE_TIMEOUT_S = 3.0

#: A lifespan hook: entered at start-up, left at shutdown (the scheduler plugs in here).
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
#: A health check: returns (ok, reason); sync or async.
HealthCheck = Callable[[], "tuple[bool, str] | Awaitable[tuple[bool, str]]"]


class BodyTooLarge(Exception):
    """More than the allowed bytes arrived (answered 413)."""


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


async def _database_ok(sessions: async_sessionmaker[AsyncSession]) -> tuple[bool, str]:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_S):
            async with sessions() as session:
                await schema_version(session)  # reads a table: a replaced empty file fails
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
    lifespans: Sequence[Lifespan] = (),
    health_checks: Mapping[str, HealthCheck] | None = None,
    max_body: int = MAX_BODY,
    api: FastAPI | None = None,
    post_routes: Mapping[str, Callable[..., Any]] | None = None,
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The web app: /healthz, /metrics, the hand-off `api` when given, and `post_routes` by path
    (Slack's /slack/events unless in Socket Mode, Teams' /api/messages).

    `lifespans` are entered in order at start-up and left in reverse at shutdown; the scheduler
    adds its own there. `health_checks` name extra checks for /healthz (e.g. "scheduler"); a
    failing one makes /healthz answer 503. `app.state.health_checks` may be extended later.
    `post_routes` are further POST endpoints by path (Slack's /slack/events, Teams' /api/messages);
    `routers` further pages (the invitation pages, bot.pages)."""

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
