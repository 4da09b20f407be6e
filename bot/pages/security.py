"""What every customer-facing page sends and checks: the security headers, the CSRF token (a cookie
plus a form field bound to it and to the invitation by an HMAC), and the access-log redaction of
invitation secrets and of the consent routes' query strings (ticket, state, code)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets

from starlette.responses import Response

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
CSRF_COOKIE = "td_csrf"
#: An invitation path as it reaches the access log; the secret is replaced, its kind kept.
_INVITE_PATH = re.compile(r"/i/[^/?\s\"]+")
INVITE_PATH_SHOWN = "/i/[secret]"
#: A consent route with its query string (start?t=<ticket>, callback?code=…&state=…): the query goes.
_CONNECT_QUERY = re.compile(r"(/connect/[^?\s\"]*)\?[^\s\"]*")
CONNECT_QUERY_SHOWN = r"\1?[redacted]"


def secure_headers(response: Response, *, https: bool) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cache-Control"] = "no-store"
    headers["X-Content-Type-Options"] = "nosniff"
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


class Csrf:
    """Signed double submit: the cookie is random per browser, the form field is HMAC(key, invitation,
    cookie). A page of another site can neither read the cookie nor compute the field. The key lives
    in this process (a restart makes open forms ask to be filled in again, nothing worse)."""

    def __init__(self, key: bytes | None = None, *, https: bool) -> None:
        self.key = key or secrets.token_bytes(32)
        self.https = https

    def cookie_value(self, current: str | None) -> str:
        return current if current and re.fullmatch(r"[A-Za-z0-9_-]{43}", current) else secrets.token_urlsafe(32)

    def token(self, invitation_id: int, cookie: str) -> str:
        return hmac.new(self.key, f"{invitation_id}:{cookie}".encode(), hashlib.sha256).hexdigest()

    def valid(self, invitation_id: int, cookie: str | None, given: str | None) -> bool:
        if not cookie or not given:
            return False
        return hmac.compare_digest(self.token(invitation_id, cookie).encode(), given.encode("utf-8", "replace"))

    def set_cookie(self, response: Response, value: str) -> None:
        response.set_cookie(CSRF_COOKIE, value, path="/i/", httponly=True, samesite="strict", secure=self.https)


def redact_invite_path(text: str) -> str:
    return _CONNECT_QUERY.sub(CONNECT_QUERY_SHOWN, _INVITE_PATH.sub(INVITE_PATH_SHOWN, text))


class InvitePathFilter(logging.Filter):
    """On uvicorn's access logger: the path argument of each line without the invitation secret or
    a consent route's query string (uvicorn formats `%s - "%s %s HTTP/%s" %d` with the path as the third argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_invite_path(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_invite_path(record.msg)
        return True


def redact_access_log(logger_name: str = "uvicorn.access") -> None:
    """Install the filter once on uvicorn's access logger (whoever configures the handlers)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, InvitePathFilter) for f in logger.filters):
        logger.addFilter(InvitePathFilter())
