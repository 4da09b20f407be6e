"""How a single Nmbrs call can fail, and how faults and raw HTTP answers are told apart.

Codes and classes follow the Nmbrs reference (section 4); nothing here touches the network.
"""

from __future__ import annotations

import html
import re
from typing import Any

from lxml import etree

from handlers.model import Rejected, RejectionCategory, Unreachable, UnreachableCause
from handlers.redact import REDACTED

# Nmbrs puts its own error number in the fault text: "... ---> 1001: Invalid Authentication".
_NMBRS_CODE = re.compile(r"--->\s*(\d{4,5}):\s*(.*)", re.DOTALL)
# Only these may say something definitive about a login (the reference, section 4): every other
# code is "unexpected" (RejectionCategory.OTHER) and must never break a working link.
_CATEGORY_BY_CODE = {
    1001: RejectionCategory.CREDENTIALS,
    1002: RejectionCategory.RIGHTS,
    1003: RejectionCategory.RIGHTS,
    1004: RejectionCategory.SUBSCRIPTION,
}
#: No rights on one debtor (or its companies/employees): on a debtor's own company list this means
#: the debtor fell out of the login's scope, not that the login failed.
DEBTOR_ACCESS_CODES = frozenset({1003, 2003, 2004, 2009})
# 9999 is Nmbrs' "unknown error" and 1006 a login hiccup that "retrying tends to solve".
_TRANSIENT_CODES = frozenset({9999, 1006})
_MAX_TEXT = 300  # fault texts are kept for people; a runaway stack trace is not
#: Causes a second attempt will not change: our own mistake, or an endpoint answering as if it were gone
#: (a refused connection is retried all the same: it may be a restart; see transport.py).
_NOT_RETRIED = frozenset({UnreachableCause.MISCONFIGURED, UnreachableCause.SERVICE_GONE})
#: HTTP statuses a retired endpoint answers with: not found, and gone for good.
GONE_STATUSES = frozenset({404, 410})
# Nmbrs has not said how a switched-off SOAP API will answer; a fault that names the service (or API)
# as retired, discontinued, switched off or unavailable is taken as one sign of it. A text that says
# the outage is temporary (maintenance, try again later) is an ordinary outage instead.
_SERVICE = r"(?:service|api|endpoint|soap|webservice|dienst)"
_GONE = (
    r"(?:retired|discontinued|decommissioned|deprecated|removed|sunset|switched\s+off|turned\s+off|shut\s*down|"
    r"end[\s-]+of[\s-]+life|no\s+longer|not\s+available|unavailable|not\s+supported|uitgefaseerd|stopgezet|"
    r"buiten\s+gebruik|niet\s+meer|niet\s+beschikbaar)"
)
_NAMES_RETIREMENT = re.compile(rf"\b{_SERVICE}\b.*?\b{_GONE}|\b{_GONE}\b.*?\b{_SERVICE}\b", re.IGNORECASE | re.DOTALL)
_TEMPORARY = re.compile(r"temporar|maintenance|onderhoud|try\s+again|later|tijdelijk|opnieuw", re.IGNORECASE)


def names_retirement(text: str) -> bool:
    """Whether a fault text says the service itself is gone (not that one call or login failed)."""
    return bool(_NAMES_RETIREMENT.search(text)) and not _TEMPORARY.search(text)

_SOAP_ENVELOPES = (
    "http://schemas.xmlsoap.org/soap/envelope/",
    "http://www.w3.org/2003/05/soap-envelope",
)


class CallFailed(Exception):
    """One Nmbrs call ended without a usable answer. Internal: validate() returns a result instead.

    Carries only texts we composed or Nmbrs' fault text with the token blanked out; never the
    request, never an httpx/zeep exception (those hold the request envelope, token included).
    """

    def __init__(
        self,
        *,
        category: RejectionCategory | None = None,
        cause: UnreachableCause | None = None,
        text: str,
        code: int | None = None,
        retry: bool | None = None,
    ) -> None:
        super().__init__(text)
        self.category = category
        self.cause = cause
        self.text = text
        self.code = code
        self.operation: str | None = None
        self._retry = retry

    @property
    def label(self) -> str:
        return str(self.category or self.cause or "error")

    @property
    def retryable(self) -> bool:
        if self._retry is not None:
            return self._retry
        return self.cause is not None and self.cause not in _NOT_RETRIED

    @property
    def rank(self) -> int:
        """How much this failure says; when two calls fail together, the most telling wins."""
        if self.category is not None:
            return 0
        return 1 if self.cause in (UnreachableCause.MISCONFIGURED, UnreachableCause.SERVICE_GONE) else 2

    def to_result(self, latency_s: float) -> Rejected | Unreachable:
        if self.category is not None:
            return Rejected(
                code=self.code,
                category=self.category,
                message=self.text,
                latency_s=latency_s,
                operation=self.operation,
            )
        assert self.cause is not None
        return Unreachable(
            cause=self.cause,
            detail=self.text,
            latency_s=latency_s,
            code=self.code,
            operation=self.operation,
        )

    @classmethod
    def unreachable(
        cls, cause: UnreachableCause, text: str, code: int | None = None, *, retry: bool | None = None
    ) -> CallFailed:
        return cls(cause=cause, text=text, code=code, retry=retry)

    def __repr__(self) -> str:
        return f"CallFailed({self.label!r}, code={self.code!r}, text={self.text!r})"


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def classify_fault(fault_code: str | None, fault_text: str | None, *, token: str = "") -> CallFailed:
    """Turn a SOAP fault (1.1 faultcode/faultstring or 1.2 Code/Reason) into a failure."""
    # The code is parsed after XML decoding (zeep did that); unescaping once more also copes
    # with a text that some layer escaped twice, and is harmless otherwise.
    text = html.unescape(fault_text or "").strip()
    if token and token in text:
        text = text.replace(token, REDACTED)
    match = _NMBRS_CODE.search(text)
    number = int(match.group(1)) if match else None
    if number not in _CATEGORY_BY_CODE and names_retirement(text):
        # 1001-1004 keep their meaning whatever the text around them says.
        return CallFailed.unreachable(UnreachableCause.SERVICE_GONE, f"SOAP fault naming the service gone: {_shorten(text)}",
                                      number)
    if match:
        assert number is not None
        said = _shorten(match.group(2)) or _shorten(text)
        if number in _TRANSIENT_CODES:
            return CallFailed.unreachable(UnreachableCause.NMBRS_ERROR, f"Nmbrs error {number}: {said}", number)
        category = _CATEGORY_BY_CODE.get(number, RejectionCategory.OTHER)
        return CallFailed(category=category, text=said, code=number)
    kind = (fault_code or "").rpartition(":")[2]
    if kind in ("Client", "Sender", "VersionMismatch", "MustUnderstand"):
        # The server says our request is wrong: a bug or a wrong URL here, nothing about the token.
        return CallFailed.unreachable(UnreachableCause.MISCONFIGURED, f"SOAP {kind} fault: {_shorten(text)}")
    # A server fault without an Nmbrs number is an unhandled error on their side: never
    # declare a token dead on text we cannot classify.
    return CallFailed.unreachable(UnreachableCause.NMBRS_ERROR, f"SOAP fault without an Nmbrs code: {_shorten(text)}")


def _status_failure(status: int, what: str) -> CallFailed:
    if status >= 500 or status in (408, 429):
        return CallFailed.unreachable(UnreachableCause.HTTP_ERROR, f"HTTP {status} {what}")
    if status in GONE_STATUSES:
        # What a retired endpoint answers, and also what a wrong TOKENDESK_NMBRS_URL answers: either
        # way not retried, and nothing about the token (the re-check weighs it over the whole run).
        return CallFailed.unreachable(UnreachableCause.SERVICE_GONE, f"HTTP {status} {what}")
    # 3xx/4xx: a wrong base URL (a redirect to a login page) or a request the server cannot
    # take; retrying will not help and it says nothing about the token.
    return CallFailed.unreachable(UnreachableCause.MISCONFIGURED, f"HTTP {status} {what}")


_GONE_TEXT = re.compile(r"HTTP (\d{3}) ")


def gone_status(text: str) -> int | None:
    """The HTTP status (404 or 410) of a `service_gone` failure's text, when an HTTP status made it one (not a
    refused connection or a fault naming the service gone): the one a wrong TOKENDESK_NMBRS_URL also gets."""
    match = _GONE_TEXT.match(text)
    status = int(match.group(1)) if match else None
    return status if status in GONE_STATUSES else None


def _looks_like_html(content_type: str, head: bytes) -> bool:
    head = head.lstrip()[:64].lower()
    return content_type == "text/html" or head.startswith((b"<!doctype html", b"<html"))


def _has_soap_fault(root: Any) -> bool:
    return any(root.find(f"{{{ns}}}Body/{{{ns}}}Fault") is not None for ns in _SOAP_ENVELOPES)


def screen_response(status: int, content_type: str, body: bytes) -> CallFailed | None:
    """Decide whether an HTTP answer is worth handing to zeep, or is a failure by itself.

    zeep gets only well-formed XML that is either a 200 or carries a SOAP fault; everything
    else is classified here, where the status code is still known.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body.strip():
        if status >= 300:
            return _status_failure(status, "with an empty body")
        return CallFailed.unreachable(UnreachableCause.MALFORMED, f"HTTP {status} with an empty body")
    if _looks_like_html(media_type, body[:256]):
        if 300 <= status < 500 and status not in (408, 429):
            return _status_failure(status, "with an HTML page")
        return CallFailed.unreachable(UnreachableCause.HTML, f"HTTP {status} with an HTML page instead of SOAP")
    try:
        # No recovery, no entities, no network: only a yes/no on well-formedness.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        if status >= 300:
            return _status_failure(status, "with a body that is not XML")
        return CallFailed.unreachable(UnreachableCause.MALFORMED, f"HTTP {status} with XML that is not well-formed")
    if status != 200 and not _has_soap_fault(root):
        return _status_failure(status, "without a SOAP fault")
    return None
