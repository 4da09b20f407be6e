"""GET /connect/nmbrs/start?t=<ticket> and GET /connect/nmbrs/callback: the browser's side of a REST
consent. Start sets the visit's cookie and sends the browser to Nmbrs; the callback shows what came
of it, in the person's language. Neither query string reaches the access log (bot.pages.security)."""

from __future__ import annotations

import dataclasses
import logging

from fastapi import APIRouter, Request
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.pages.security import secure_headers
from handlers.connect import CALLBACK_PATH, START_PATH, Connect, StateInvalid, TicketGone
from handlers.text.connect_text import consent_page_words, consent_reply
from handlers.text.invite_text import accept_language, other_language
from handlers.text.locale import language
from handlers.text.conversation import internal_error

log = logging.getLogger(__name__)

COOKIE = "td_consent"
COOKIE_PATH = "/connect/nmbrs"
COOKIE_MAX_AGE_S = 600


class ConsentPages:
    """The two consent routes, built once with the use case and the page settings."""

    def __init__(self, connect: Connect, *, brand: str, default_lang: str, https: bool) -> None:
        self.connect = connect
        self.brand = brand
        self.default_lang = language(default_lang)
        self.https = https
        self.templates = Environment(loader=PackageLoader("bot.pages", "templates"),
                                     autoescape=select_autoescape(default=True, default_for_string=True))

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        router.add_api_route(START_PATH, self.start, methods=["GET"])
        router.add_api_route(CALLBACK_PATH, self.callback, methods=["GET"])
        return router

    async def start(self, request: Request) -> Response:
        started = await self.connect.start(request.query_params.get("t") or "")
        if isinstance(started, TicketGone):
            return self._page(consent_reply(started, self._lang(request)), self._lang(request), status=404)
        response = RedirectResponse(started.authorize_url, status_code=302)
        response.set_cookie(COOKIE, started.cookie, max_age=COOKIE_MAX_AGE_S, path=COOKIE_PATH, httponly=True,
                            samesite="lax", secure=self.https)
        return secure_headers(response, https=self.https)

    async def callback(self, request: Request) -> Response:
        query = request.query_params
        try:
            outcome = await self.connect.callback(state=query.get("state"), cookie=request.cookies.get(COOKIE),
                                                  code=query.get("code"), error=query.get("error"))
        except Exception:  # noqa: BLE001 - logged once here; the browser gets a page, not a bare 500
            log.exception("connect: the callback failed; nothing was stored")
            lang = self._lang(request)
            reply = dataclasses.replace(internal_error(lang), offer_connect=False)
            return self._page(reply, lang, status=500)
        lang = self._lang(request) if isinstance(outcome, StateInvalid) else outcome.lang
        status = 400 if isinstance(outcome, StateInvalid) else 200
        response = self._page(consent_reply(outcome, lang), lang, status=status)
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=self.https)
        return response

    def _page(self, reply: object, lang: str, *, status: int) -> Response:
        words = consent_page_words(lang)
        html = self.templates.get_template("consent.html").render(
            lang=lang, other=other_language(lang), brand=self.brand, w=words, reply=reply, switch_url=None)
        return secure_headers(HTMLResponse(html, status_code=status), https=self.https)

    def _lang(self, request: Request) -> str:
        return accept_language(request.headers.get("accept-language"), self.default_lang)
