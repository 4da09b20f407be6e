"""The /try routes (the page, its script and styles, its state and its buttons), and the ASGI app
try mode serves: /try here, everything else the desk's own web app, all behind the loopback guard."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.trymode.console import Console, Refused, parse_origin, wait_for_settle
from bot.trymode.guard import LoopbackGuard
from bot.trymode.practice import CUSTOMERS
from bot.trymode.practice_controls import Practice
from bot.trymode.render import esc

_STATIC = {"try.js": "text/javascript", "try.css": "text/css", "favicon.svg": "image/svg+xml"}
#: Every answer of the page: no framing by other sites, no scripts but our own.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def _static(name: str) -> str:
    return (files("bot.trymode") / "static" / name).read_text(encoding="utf-8")


async def _json(request: Request) -> dict[str, Any]:
    # JSON only: a cross-site form cannot send it without a preflight the guard would refuse anyway.
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Refused("expected application/json")
    try:
        body = await request.json()
    except ValueError:
        raise Refused("body is not JSON") from None
    if not isinstance(body, dict):
        raise Refused("body is not an object")
    return body


def build_try_app(console: Console, practice: Practice) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400, headers=_HEADERS)

    @app.get("/try")
    async def page() -> HTMLResponse:
        options = "".join(f'<option value="{esc(c.user_id)}">{esc(c.name)}</option>' for c in CUSTOMERS)
        return HTMLResponse(_static("try.html").replace("{{customers}}", options), headers=_HEADERS)

    @app.get("/try/static/{name}")
    async def static(name: str) -> Response:
        if name not in _STATIC:
            return Response(status_code=404)
        return Response(_static(name), media_type=_STATIC[name], headers=_HEADERS)

    @app.get("/try/state")
    async def state(customer: str) -> JSONResponse:
        return JSONResponse({**console.state(customer), **practice.state()}, headers=_HEADERS)

    @app.post("/try/dm")
    async def dm(request: Request) -> JSONResponse:
        body = await _json(request)
        await console.dm(str(body.get("customer", "")), str(body.get("text", "")))
        await wait_for_settle()
        return JSONResponse({"ok": True}, headers=_HEADERS)

    @app.post("/try/command")
    async def command(request: Request) -> JSONResponse:
        body = await _json(request)
        await console.command(str(body.get("text", "")))
        return JSONResponse({"ok": True}, headers=_HEADERS)

    @app.post("/try/action")
    async def action(request: Request) -> JSONResponse:
        body = await _json(request)
        await console.action(origin=parse_origin(str(body.get("origin", ""))), action_id=str(body.get("action", "")),
                             value=str(body.get("value", "")), block_id=str(body.get("block", "")))
        await wait_for_settle(0.2)
        return JSONResponse({"ok": True}, headers=_HEADERS)

    @app.post("/try/modal")
    async def modal(request: Request) -> JSONResponse:
        body = await _json(request)
        if body.get("do") == "submit":
            values = body.get("values")
            await console.submit({str(k): str(v) for k, v in (values.items() if isinstance(values, dict) else ())})
        else:
            console.close_modal()
        return JSONResponse({"ok": True}, headers=_HEADERS)

    @app.post("/try/practice")
    async def control(request: Request) -> JSONResponse:
        body = await _json(request)
        company = body.get("company")
        await practice.control(str(body.get("control", "")), str(body.get("username", "")),
                               int(company) if isinstance(company, (int, str)) and str(company).isdigit() else None)
        return JSONResponse({"ok": True}, headers=_HEADERS)

    return app


class TryModeApp:
    """/try and /try/… go to the page's app, everything else (and the lifespan) to the desk's."""

    def __init__(self, desk: ASGIApp, page: ASGIApp) -> None:
        self.desk = desk
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == "/try" or path.startswith("/try/")):
            await self.page(scope, receive, send)
        else:
            await self.desk(scope, receive, send)


def serve_app(desk: ASGIApp, console: Console, practice: Practice, *, port: int) -> ASGIApp:
    return LoopbackGuard(TryModeApp(desk, build_try_app(console, practice)), port=port)
