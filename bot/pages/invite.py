"""GET/POST /i/<secret>: the invitation page, and /i/<secret>/r/<id>: the result of a submission.

POST answers at once with a 303 to the result page; the check runs in a task of this process, and
while Nmbrs is slow the result page says so and refreshes itself (no JavaScript anywhere). Unknown,
expired, used and revoked links get one neutral page: same status, same body.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from dataclasses import dataclass, field
from importlib import resources
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.pages.security import CSRF_COOKIE, Csrf, secure_headers
from bot.web import BodyTooLarge, read_body
from handlers.intake import BadInput, Limited, Pending, Refused, SoapClosed
from handlers.connect import Tickets
from handlers.invitations import BY_INVITATION, WEB, Gone, Invitations, OpenInvitation, SubmitOutcome
from handlers.model import Person
from handlers.text.connect_text import consent_button, consent_page_words
from handlers.text.offer_text import rest_only_hint
from handlers.text.invite_text import accept_language, other_language, page_words
from handlers.text.conversation import internal_error
from handlers.text.replies import outcome_reply
from handlers.text.locale import language

log = logging.getLogger(__name__)

#: How long the result request waits for Nmbrs before showing the "still checking" page.
WAIT_S = 3.0
REFRESH_S = 2
#: Submissions kept for their result page: at most this many, for at most this long.
KEEP_RESULTS = 1000
KEEP_FOR_S = 900.0
MAX_FORM = 8 * 1024
STATIC_PATH = "/static/pages/invite.css"
#: An offer on the page besides the token form: the REST consent button (when `tickets` are given).
OFFER_TEMPLATES: tuple[str, ...] = ()
CONSENT_OFFER = "_consent_offer.html"


@dataclass
class Submission:
    secret: str
    lang: str
    username: str
    task: asyncio.Task[SubmitOutcome]
    at: float = field(default_factory=time.monotonic)


class InvitePages:
    """The routes of the invitation pages, built once with the use case and the page settings."""

    def __init__(self, invitations: Invitations, *, brand: str, default_lang: str, https: bool,
                 offers: tuple[str, ...] = OFFER_TEMPLATES, tickets: Tickets | None = None) -> None:
        self.invitations = invitations
        self.tickets = tickets
        """With REST on: "Connect with Nmbrs" on the page, a ticket bound to the invitation."""
        self.brand = brand
        self.default_lang = language(default_lang)
        self.https = https
        self.offers = (CONSENT_OFFER, *offers) if tickets is not None else offers
        self.csrf = Csrf(https=https)
        self.results: dict[str, Submission] = {}
        self.templates = Environment(loader=PackageLoader("bot.pages", "templates"),
                                     autoescape=select_autoescape(default=True, default_for_string=True))
        self.css = resources.files("bot.pages").joinpath("static/invite.css").read_bytes()

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        router.add_api_route(STATIC_PATH, self.stylesheet, methods=["GET"])
        router.add_api_route("/i/{secret}", self.page, methods=["GET"])
        router.add_api_route("/i/{secret}", self.submit, methods=["POST"])
        router.add_api_route("/i/{secret}/r/{rid}", self.result, methods=["GET"])
        return router

    # --- routes -------------------------------------------------------------------------------

    async def stylesheet(self) -> Response:
        response = Response(self.css, media_type="text/css")
        secure_headers(response, https=self.https)
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    async def page(self, request: Request, secret: str) -> Response:
        lang = self._lang(request)
        invitation = await self.invitations.find(secret)
        if invitation is None:
            return self._gone(lang)
        return await self._form_page(request, "invite.html", lang, secret, invitation, status=200)

    async def submit(self, request: Request, secret: str) -> Response:
        try:
            body = await read_body(request, MAX_FORM)
        except BodyTooLarge:
            return secure_headers(Response("request body too large", status_code=413, media_type="text/plain"),
                                  https=self.https)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        lang = language(form.get("lang") or self._lang(request))
        invitation = await self.invitations.find(secret)
        if invitation is None:
            return self._gone(lang)
        if not self.csrf.valid(invitation.id, request.cookies.get(CSRF_COOKIE), form.get("csrf")):
            log.info("pages: invitation %s form refused (CSRF token missing or wrong)", invitation.short_id)
            return await self._form_page(request, "invite.html", lang, secret, invitation, status=403, stale=True)
        username = form.get("username", "")[:254]
        task = asyncio.get_running_loop().create_task(self.invitations.submit(
            secret=secret, address=request.client.host if request.client else "unknown",
            username=username, token=form.get("token", ""), lang=lang))
        rid = secrets.token_urlsafe(16)
        self._keep(rid, Submission(secret=secret, lang=lang, username=username, task=task))
        return secure_headers(RedirectResponse(f"/i/{secret}/r/{rid}", status_code=303), https=self.https)

    async def result(self, request: Request, secret: str, rid: str) -> Response:
        submission = self.results.get(rid)
        if submission is None or not secrets.compare_digest(submission.secret.encode(), secret.encode()):
            return self._gone(self._lang(request))
        lang = submission.lang
        try:
            await asyncio.wait_for(asyncio.shield(submission.task), WAIT_S)
        except TimeoutError:
            return self._render("result.html", lang, status=200, slow=True, refresh=REFRESH_S)
        except Exception:  # noqa: BLE001 - logged once here; the customer gets the form again
            log.exception("pages: a submission failed")
            return await self._answer(request, secret, submission, None)
        return await self._answer(request, secret, submission, submission.task.result())

    # --- rendering ----------------------------------------------------------------------------

    async def _answer(self, request: Request, secret: str, submission: Submission,
                      outcome: SubmitOutcome | None) -> Response:
        lang = submission.lang
        if isinstance(outcome, Gone):
            return self._gone(lang)
        reply = internal_error(lang) if outcome is None else outcome_reply(outcome, lang)
        if isinstance(outcome, Pending):
            # The chat's words promise a message; no chat reaches this customer, their contact does.
            reply = dataclasses.replace(reply, action=page_words(lang, self.brand)["pending_action"])
        retry = outcome is None or isinstance(outcome, (Refused, BadInput, Limited))
        if retry or isinstance(outcome, SoapClosed):  # REST only: the consent button instead of the form
            invitation = await self.invitations.find(secret)
            if invitation is not None:
                return await self._form_page(request, "result.html", lang, secret, invitation, status=200,
                                             reply=reply, retry=True, username=submission.username)
        return self._render("result.html", lang, status=200, reply=reply, retry=False)

    async def _form_page(self, request: Request, template: str, lang: str, secret: str, invitation: OpenInvitation,
                         *, status: int, **values: object) -> Response:
        cookie = self.csrf.cookie_value(request.cookies.get(CSRF_COOKIE))
        values.setdefault("username", "")
        if self.tickets is not None:
            person = Person(platform=WEB, team_id=BY_INVITATION, user_id=invitation.short_id, lang=lang)
            consent = await self.tickets.consent(
                person, invitation_id=invitation.id, migration_link_id=invitation.migration_link_id,
                migration_debtor_id=invitation.migration_debtor_id)
            values["consent_url"], values["rest_only"] = consent.url, consent.only
            values["cw"] = {**consent_page_words(lang), "button": consent_button(lang), "only": rest_only_hint(lang)}
        response = self._render(template, lang, status=status, action=f"/i/{secret}",
                                csrf=self.csrf.token(invitation.id, cookie), offers=self.offers,
                                switch_url=f"/i/{secret}?lang={other_language(lang)}", **values)
        self.csrf.set_cookie(response, cookie)
        return response

    def _gone(self, lang: str) -> Response:
        # No language switch: its URL would differ between a known and an unknown secret.
        return self._render("gone.html", lang, status=404)

    def _render(self, template: str, lang: str, *, status: int, **values: object) -> Response:
        values.setdefault("switch_url", None)
        html = self.templates.get_template(template).render(
            lang=lang, other=other_language(lang), brand=self.brand, w=page_words(lang, self.brand), **values)
        return secure_headers(HTMLResponse(html, status_code=status), https=self.https)

    def _lang(self, request: Request) -> str:
        chosen = request.query_params.get("lang")
        if chosen in ("nl", "en"):
            return chosen
        return accept_language(request.headers.get("accept-language"), self.default_lang)

    def _keep(self, rid: str, submission: Submission) -> None:
        now = time.monotonic()
        for old in [key for key, kept in self.results.items() if now - kept.at > KEEP_FOR_S]:
            self.results.pop(old, None)
        while len(self.results) >= KEEP_RESULTS:
            self.results.pop(next(iter(self.results)))
        self.results[rid] = submission
