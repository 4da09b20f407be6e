"""The identity server stand-in's endpoints: /connect/authorize (login and consent page),
/connect/token (authorization_code and refresh_token grants) and /connect/revocation."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus, urlencode

from aiohttp import web
from multidict import MultiDictProxy

from bot.standins.nmbrs_rest import pages
from bot.standins.nmbrs_rest.accounts import SCOPES, RegisteredClient
from bot.standins.nmbrs_rest.grants import OAuthFailure
from bot.standins.nmbrs_rest.payloads import oauth_error, token_answer

if TYPE_CHECKING:
    from bot.standins.nmbrs_rest.server import NmbrsRestStandIn

FORM = "application/x-www-form-urlencoded"
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")  # base64url of a SHA-256, unpadded
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_response(failure: OAuthFailure) -> web.Response:
    headers = dict(_NO_STORE)
    if failure.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="identityservice"'
    return web.json_response(
        oauth_error(failure.error, failure.description), status=failure.status, headers=headers
    )


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/html", headers=dict(_NO_STORE))


def _single(params: MultiDictProxy[Any]) -> dict[str, str]:
    """RFC 6749 §3.1/§3.2: a parameter sent twice makes the request invalid."""
    values: dict[str, str] = {}
    for key in params:
        if len(params.getall(key)) > 1:
            raise OAuthFailure("invalid_request", f"The parameter {key} is repeated.")
        value = params[key]
        values[key] = value if isinstance(value, str) else ""
    return values


class IdentityEndpoints:
    """Handlers bound to the stand-in, which holds the clients, users, ledger, clock and knobs."""

    def __init__(self, standin: NmbrsRestStandIn) -> None:
        self.standin = standin

    def routes(self, app: web.Application) -> None:
        app.router.add_route("GET", "/connect/authorize", self.authorize)
        app.router.add_route("POST", "/connect/authorize", self.authorize)
        app.router.add_route("POST", "/connect/token", self.token)
        app.router.add_route("POST", "/connect/revocation", self.revocation)

    # -- authorize ----------------------------------------------------------------------------

    async def authorize(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            if request.content_type != FORM:
                return _html(pages.error_page("invalid_request", "The form must be sent as " + FORM), 400)
            raw = await request.post()
        else:
            raw = request.query
        try:
            params = _single(raw)
        except OAuthFailure as failure:
            return _html(pages.error_page(failure.error, failure.description), 400)
        client = self.standin.clients.get(params.get("client_id", ""))
        if client is None:
            return _html(pages.error_page("invalid_client", "Unknown client_id."), 400)
        redirect_uri = params.get("redirect_uri", "")
        # Exact string match: a redirect to an unregistered URI would hand the code to anyone.
        if redirect_uri not in client.redirect_uris:
            return _html(
                pages.error_page("invalid_request", "The redirect_uri is not registered for this client."),
                400,
            )
        problem = self._request_problem(params)
        if problem is None and self.standin.require_state and not params.get("state"):
            # stricter than RFC 6749 (state is only RECOMMENDED): the desk must always send one
            problem = ("invalid_request", "The state parameter is required.")
        if problem is not None:
            return self._back(redirect_uri, params, error=problem[0], error_description=problem[1])
        if request.method == "GET":
            return _html(pages.consent_page(params, client_name=client.client_id, notice=self.standin.notice))
        if params.get("action") == "cancel":
            return self._back(
                redirect_uri, params, error="access_denied", error_description="The user denied access."
            )
        if params.get("action") != "allow":
            return _html(pages.error_page("invalid_request", "Press Allow or Cancel."), 400)
        return self._consent(client, params)

    @staticmethod
    def _request_problem(params: dict[str, str]) -> tuple[str, str] | None:
        if params.get("response_type") != "code":
            return "unsupported_response_type", "Only response_type=code is supported."
        scopes = params.get("scope", "").split()
        if not scopes:
            return "invalid_scope", "No scope was requested."
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            return "invalid_scope", f"Unknown scope: {' '.join(unknown)}"
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if challenge is None and method is not None:
            return "invalid_request", "code_challenge_method without code_challenge."
        if challenge is not None:
            if method != "S256":
                return "invalid_request", "Only code_challenge_method=S256 is supported."
            if not _CHALLENGE.fullmatch(challenge):
                return "invalid_request", "The code_challenge is not a base64url SHA-256."
        return None

    def _consent(self, client: RegisteredClient, params: dict[str, str]) -> web.Response:
        standin = self.standin
        email = params.get("email", "").strip()
        user = standin.users.get(email.lower())
        if user is None or not hmac.compare_digest(
            params.get("password", "").encode(), user.password.encode()
        ):
            page = pages.consent_page(
                params, client_name=client.client_id, error="Invalid e-mail or password.", email=email,
                notice=self.standin.notice,
            )
            return _html(page)
        granted = tuple(s for s in params["scope"].split() if s not in user.withheld_scopes)
        code = standin.ledger.issue_code(
            client_id=client.client_id,
            redirect_uri=params["redirect_uri"],
            email=user.email.lower(),
            scopes=granted,
            challenge=params.get("code_challenge"),
            now=standin.now(),
        )
        return self._back(params["redirect_uri"], params, code=code)

    @staticmethod
    def _back(redirect_uri: str, params: dict[str, str], **answer: str) -> web.Response:
        """302 to the (already verified) redirect URI with the answer and the state."""
        state = params.get("state")
        if state is not None:
            answer["state"] = state
        separator = "&" if "?" in redirect_uri else "?"
        location = f"{redirect_uri}{separator}{urlencode(answer)}"
        return web.Response(status=302, headers={"Location": location, **_NO_STORE})

    # -- token --------------------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        standin = self.standin
        try:
            form = await self._form(request)
            client = self._client(request, form)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                return self._code_grant(client, form)
            if grant_type == "refresh_token":
                return self._refresh_grant(client, form)
            if grant_type is None:
                raise OAuthFailure("invalid_request", "The grant_type is missing.")
            raise OAuthFailure("unsupported_grant_type", f"The grant_type {grant_type} is not supported.")
        except OAuthFailure as failure:
            standin.note_token_failure(failure.error)
            return oauth_response(failure)

    def _code_grant(self, client: RegisteredClient, form: dict[str, str]) -> web.Response:
        standin = self.standin
        code = form.get("code")
        if not code:
            raise OAuthFailure("invalid_request", "The code is missing.")
        grant = standin.ledger.redeem_code(
            client_id=client.client_id,
            code=code,
            redirect_uri=form.get("redirect_uri"),
            verifier=form.get("code_verifier"),
            now=standin.now(),
        )
        return self._tokens(grant, grant.scopes, issued_from="authorization_code")

    def _refresh_grant(self, client: RegisteredClient, form: dict[str, str]) -> web.Response:
        standin = self.standin
        refresh = form.get("refresh_token")
        if not refresh:
            raise OAuthFailure("invalid_request", "The refresh_token is missing.")
        wanted = tuple(form["scope"].split()) if form.get("scope") else None
        grant, scopes = standin.ledger.rotate(
            client_id=client.client_id, refresh_token=refresh, scopes=wanted, now=standin.now()
        )
        return self._tokens(grant, scopes, issued_from="refresh_token")

    def _tokens(self, grant: Any, scopes: tuple[str, ...], *, issued_from: str) -> web.Response:
        standin = self.standin
        access, refresh = standin.ledger.issue_tokens(
            grant,
            scopes=scopes,
            now=standin.now(),
            issued_from=issued_from,
            with_refresh=not standin.omit_refresh_token,
        )
        answer = token_answer(
            access=access,
            refresh=refresh,
            expires_in=standin.ledger.access_lifetime_s,
            scopes=scopes,
            with_scope=not standin.omit_scope,
        )
        return web.json_response(answer, headers=_NO_STORE)

    # -- revocation ---------------------------------------------------------------------------

    async def revocation(self, request: web.Request) -> web.Response:
        try:
            form = await self._form(request)
            client = self._client(request, form)
            token = form.get("token")
            if not token:
                raise OAuthFailure("invalid_request", "The token is missing.")
            hint = form.get("token_type_hint")
            if hint not in (None, "access_token", "refresh_token"):
                raise OAuthFailure("unsupported_token_type", f"The token_type_hint {hint} is not supported.")
        except OAuthFailure as failure:
            return oauth_response(failure)
        # RFC 7009 §2.2: 200 whether or not the token was known, so its existence is not told.
        self.standin.ledger.revoke(client_id=client.client_id, token=token)
        return web.Response(status=200, headers=_NO_STORE)

    # -- client authentication ----------------------------------------------------------------

    @staticmethod
    async def _form(request: web.Request) -> dict[str, str]:
        if request.content_type != FORM:
            raise OAuthFailure("invalid_request", f"The body must be {FORM}.")
        return _single(await request.post())

    def _client(self, request: web.Request, form: dict[str, str]) -> RegisteredClient:
        """HTTP Basic with each half form-urlencoded before joining (RFC 6749 §2.3.1)."""
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if "client_secret" in form:
            if scheme.lower() == "basic":
                raise OAuthFailure("invalid_request", "More than one client authentication method was used.")
            return self._deny("client_secret in the body; this server takes HTTP Basic only")
        if scheme.lower() != "basic":
            return self._deny("no HTTP Basic Authorization header")
        try:
            pair = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return self._deny("the Basic credentials are not base64 of UTF-8")
        raw_id, colon, raw_secret = pair.partition(":")
        if not colon:
            return self._deny("the Basic credentials have no colon")
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        client = self.standin.clients.get(client_id)
        if client is None:
            return self._deny("unknown client_id")
        if not hmac.compare_digest(secret.encode(), client.client_secret.encode()):
            if hmac.compare_digest(raw_secret.encode(), client.client_secret.encode()):
                return self._deny("the secret was sent without percent-encoding (RFC 6749 §2.3.1)")
            return self._deny("wrong client secret")
        if form.get("client_id", client_id) != client_id:
            return self._deny("the body's client_id differs from the Basic one")
        return client

    def _deny(self, why: str) -> RegisteredClient:
        self.standin.note_auth_failure(why)
        raise OAuthFailure("invalid_client", "Client authentication failed.", status=401)
