"""A wrong TOKENDESK_NMBRS_URL and a switched-off SOAP API answer alike (HTTP 404 or 410): the words that name
both readings for an operator, and a probe without credentials that tells them apart (a GET of a service's WSDL,
which an ASMX service serves to anyone at `<Service>.asmx?WSDL`).

Only texts for operators (logs, `tokendesk validate`, /healthz), in English like every operator text.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
from lxml import etree

from bot.urls import shown

logger = logging.getLogger(__name__)

EXPECTED_PATH = "/soap/v3/"
DEFAULT_URL = "https://api.nmbrs.nl/soap/v3/"
#: The service whose WSDL the probe asks for (the one every check calls first).
PROBED_SERVICE = "DebtorService"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
#: Nmbrs' DebtorService WSDL is far smaller; past this the answer is not a WSDL we want to read.
MAX_WSDL_BYTES = 2 * 1024 * 1024

Verdict = Literal["url_wrong", "url_right", "no_soap_service", "not_reached"]


def gone_reading(base_url: str, status: int) -> str:
    """Both readings of a 404/410 from the SOAP URL, in plain words."""
    return (f"the Nmbrs SOAP URL {shown(base_url)} answered HTTP {status}: either TOKENDESK_NMBRS_URL is wrong "
            f"(expected …{EXPECTED_PATH}, such as {DEFAULT_URL}) or Nmbrs has switched the SOAP API off")


def _base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _expected_base(base_url: str) -> str | None:
    """The same scheme and host with Nmbrs' path, when TOKENDESK_NMBRS_URL has another path."""
    parts = urlsplit(base_url)
    if parts.path.rstrip("/").lower() == EXPECTED_PATH.rstrip("/"):
        return None
    return urlunsplit((parts.scheme, parts.netloc, EXPECTED_PATH, "", ""))


@dataclass(frozen=True)
class WsdlAnswer:
    """How one URL answered a GET of the service's WSDL."""

    url: str
    """The WSDL's URL as shown (no secret)."""
    status: int | None
    """HTTP status; None when nothing answered."""
    wsdl: bool
    """The body is a WSDL document."""
    error: str | None = None
    """Why nothing answered (the exception's class name)."""

    def said(self) -> str:
        if self.status is None:
            return f"{self.url} did not answer ({self.error})"
        return f"{self.url} answered HTTP {self.status}" + (" with the service's WSDL" if self.wsdl else "")


@dataclass(frozen=True)
class SoapUrlProbe:
    """What the configured URL, and Nmbrs' path on the same host, say to a GET of the WSDL."""

    base_url: str
    configured: WsdlAnswer
    expected: WsdlAnswer | None
    """The same host at EXPECTED_PATH; None when the configured path is that already."""

    @property
    def verdict(self) -> Verdict:
        if self.configured.wsdl:
            return "url_right"
        if self.expected is not None and self.expected.wsdl:
            return "url_wrong"
        if self.configured.status is None:
            return "not_reached"
        return "no_soap_service"

    def explain(self) -> str:
        asked = "; ".join(answer.said() for answer in (self.configured, self.expected) if answer is not None)
        conclusion = {
            "url_right": "TOKENDESK_NMBRS_URL points at the SOAP service; if its calls answer HTTP 404 or 410, "
                         "Nmbrs is switching the SOAP API off",
            "url_wrong": f"TOKENDESK_NMBRS_URL is wrong: set it to {shown(self.expected_base or '')}",
            "no_soap_service": "No SOAP service answers there: either TOKENDESK_NMBRS_URL is wrong "
                               f"(expected …{EXPECTED_PATH}, such as {DEFAULT_URL}) or Nmbrs has switched the SOAP "
                               "API off",
            "not_reached": "The probe could not reach the host in TOKENDESK_NMBRS_URL",
        }[self.verdict]
        return f"Probe without credentials (GET of the {PROBED_SERVICE} WSDL): {asked}. {conclusion}."

    @property
    def expected_base(self) -> str | None:
        return _expected_base(self.base_url)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict, "explanation": self.explain(), "configured": asdict(self.configured),
            "expected": asdict(self.expected) if self.expected is not None else None,
        }


async def probe(base_url: str, *, timeout_s: float = 10.0) -> SoapUrlProbe:
    """GET the WSDL at TOKENDESK_NMBRS_URL and, when its path is not Nmbrs' own, at that path on the same host.
    No credentials are sent; nothing is retried; redirects are reported, not followed."""
    base = _base(base_url)
    expected = _expected_base(base)
    async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False,
                                 headers={"User-Agent": "tokendesk"}) as client:
        configured = await _ask(client, base)
        other = await _ask(client, expected) if expected is not None else None
    return SoapUrlProbe(base_url=base, configured=configured, expected=other)


async def _ask(client: httpx.AsyncClient, base: str) -> WsdlAnswer:
    url = f"{base}{PROBED_SERVICE}.asmx"
    where = shown(url) + "?WSDL"
    try:
        async with client.stream("GET", f"{url}?WSDL") as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_WSDL_BYTES:
                    return WsdlAnswer(where, response.status_code, wsdl=False)
            return WsdlAnswer(where, response.status_code, wsdl=response.status_code == 200 and _is_wsdl(bytes(body)))
    except httpx.HTTPError as exc:
        # The class name only: httpx's messages and request objects carry the URL, user info included.
        return WsdlAnswer(where, None, wsdl=False, error=type(exc).__name__)


def _is_wsdl(body: bytes) -> bool:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return False
    return root.tag == f"{{{WSDL_NS}}}definitions"
