"""How the REST stand-in sees its traffic: which endpoint a request is for, the failures tests
can inject, and the record kept of each request with its secrets redacted."""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote_plus

from aiohttp import web

from bot.standins.nmbrs_rest import pages
from bot.standins.nmbrs_rest.api import ENDPOINTS, error_response
from bot.standins.nmbrs_rest.grants import OAuthFailure
from bot.standins.nmbrs_rest.identity import FORM, oauth_response

Side = Literal["identity", "api"]

# kind -> the side it can hit (None: both). NmbrsRestStandIn.fail_next says what each does.
INJECTIONS: dict[str, Side | None] = {
    "timeout": None,
    "reset": None,
    "html": None,
    "http500": None,
    "http502": None,
    "http503": None,
    "lost": "identity",
    "invalid_grant": "identity",
    "disabled": "api",
    "quota": "api",
    "throttled": "api",
    "invalid_token": "api",
    "several_debtors": "api",
}
# What `fail_next(endpoint=...)` may name: a side, an endpoint, or "token" for every grant.
ENDPOINT_NAMES = frozenset(
    {"identity", "api", "authorize", "consent", "token", "token.authorization_code", "token.refresh_token"}
    | {"revocation"}
    | {name for name, _ in ENDPOINTS.values()}
)
# Form and query fields whose values never enter a recorded request.
SECRET_FIELDS = frozenset(
    {"code", "code_verifier", "refresh_token", "token", "password", "client_secret", "access_token"}
)
REDACTED = "<redacted>"


@dataclass(frozen=True)
class RecordedRestRequest:
    """What one request looked like, secrets replaced by "<redacted>", so tests may print it."""

    side: Side
    endpoint: str  # "token.refresh_token", "user/info", "authorize", ... ("<side>.unknown" otherwise)
    method: str
    path: str
    params: tuple[tuple[str, str], ...]  # query (GET) or form (POST), in order
    auth_scheme: str | None  # "Basic" / "Bearer" / None; never the credentials
    client_id: str | None  # from the Basic header, percent-decoded
    subscription_key_sent: bool
    status: int | None  # None when the connection was cut instead
    at: float


@dataclass
class Injection:
    kind: str
    remaining: int
    endpoint: str | None  # an endpoint name, its prefix ("token"), a side, or None for any
    retry_after: int

    def hits(self, side: Side, endpoint: str) -> bool:
        target = INJECTIONS[self.kind]
        if target not in (None, side):
            return False
        if self.kind == "invalid_grant" and not endpoint.startswith("token."):
            return False
        wanted = self.endpoint
        return wanted is None or wanted in (endpoint, side) or endpoint.startswith(wanted + ".")


def injected(injection: Injection, side: Side) -> web.Response:
    """The answer of an injection that answers (not timeout, reset or lost)."""
    kind = injection.kind
    if kind == "html":
        return web.Response(status=503, text=pages.MAINTENANCE_PAGE, content_type="text/html")
    if kind == "invalid_grant":
        return oauth_response(OAuthFailure("invalid_grant", "The grant is invalid."))
    if side == "identity":  # http500 / http502 / http503: the identity server has no JSON for these
        status = int(kind[4:])
        return web.Response(
            status=status, text=pages.error_page(f"HTTP {status}", "Server error."), content_type="text/html"
        )
    if kind == "throttled":
        return error_response("throttled", **{"Retry-After": str(injection.retry_after)})
    return error_response(kind)


async def endpoint_of(request: web.Request, side: Side) -> str:
    if side == "api":
        found = ENDPOINTS.get(request.path)
        return found[0] if found else "api.unknown"
    if request.path == "/connect/authorize":
        return "consent" if request.method == "POST" else "authorize"
    if request.path == "/connect/revocation":
        return "revocation"
    if request.path == "/connect/token":
        grant = (await request.post()).get("grant_type") if request.content_type == FORM else None
        return f"token.{grant}" if isinstance(grant, str) and grant else "token.none"
    return "identity.unknown"


async def record_of(
    request: web.Request, side: Side, endpoint: str, status: int | None
) -> RecordedRestRequest:
    source: Any = request.query
    if request.method == "POST" and request.content_type == FORM:
        source = await request.post()
    params = tuple((k, REDACTED if k in SECRET_FIELDS else str(v)) for k, v in source.items())
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    client_id = None
    if scheme.lower() == "basic":
        try:
            client_id = unquote_plus(base64.b64decode(value, validate=True).decode().partition(":")[0])
        except (binascii.Error, UnicodeDecodeError):
            client_id = None
    return RecordedRestRequest(
        side=side,
        endpoint=endpoint,
        method=request.method,
        path=request.path,
        params=params,
        auth_scheme=scheme or None,
        client_id=client_id,
        subscription_key_sent="X-Subscription-Key" in request.headers,
        status=status,
        at=time.monotonic(),
    )
