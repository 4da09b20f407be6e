"""The Nmbrs SOAP gateway: checks a login e-mail + API token and discovers what it reaches.

Built once per process by the composition root; every call goes through one shared CallLimiter.
"""

from __future__ import annotations

import asyncio
import html
import logging
import random
import re
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import httpx
import zeep
from lxml import etree
from zeep import exceptions as zeep_errors
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport

from bot.nmbrs.limits import CallLimiter
from bot.nmbrs.redact import REDACTED, guard_zeep_logging
from bot.nmbrs.result import (
    Company,
    Debtor,
    Rejected,
    RejectionCategory,
    Unreachable,
    UnreachableCause,
    Valid,
    Validation,
)
from bot.nmbrs.shape import clean_token, clean_username

logger = logging.getLogger(__name__)

DEBTOR_NS = "https://api.nmbrs.nl/soap/v3/DebtorService"
COMPANY_NS = "https://api.nmbrs.nl/soap/v3/CompanyService"
WSDL_DIR = Path(__file__).resolve().parent / "wsdl"

# Looking up each debtor's companies costs one call per debtor. Client logins (the usual
# customer) have one debtor, small accountants a handful: cheap, and support likes to see which
# company belongs to whom. Large accountants have hundreds of debtors; there the extra calls
# would dominate the shared call budget of the nightly re-check for a nicety, so debtor_id
# stays None. The scope digest ignores debtor_id, so crossing the threshold changes nothing else.
DEFAULT_MAP_DEBTORS_MAX = 20

_T = TypeVar("_T")

OnCall = Callable[[str, str, float], None]
"""(operation, outcome, latency_s) per HTTP attempt; outcome is "ok" or a category/cause value."""

# Nmbrs puts its own error number in the fault text: "... ---> 1001: Invalid Authentication".
_NMBRS_CODE = re.compile(r"--->\s*(\d{4,5}):\s*(.*)", re.DOTALL)
_CATEGORY_BY_CODE = {
    1000: RejectionCategory.CREDENTIALS,
    1001: RejectionCategory.CREDENTIALS,
    1002: RejectionCategory.RIGHTS,
    1003: RejectionCategory.RIGHTS,
    2003: RejectionCategory.RIGHTS,
    2004: RejectionCategory.RIGHTS,
    2009: RejectionCategory.RIGHTS,
    1004: RejectionCategory.SUBSCRIPTION,
}
# 9999 is Nmbrs' "unknown error" and 1006 a login hiccup that "retrying tends to solve".
_TRANSIENT_CODES = frozenset({9999, 1006})
_MAX_TEXT = 300  # fault texts are kept for people; a runaway stack trace is not

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
    ) -> None:
        super().__init__(text)
        self.category = category
        self.cause = cause
        self.text = text
        self.code = code
        self.operation: str | None = None

    @property
    def label(self) -> str:
        return str(self.category or self.cause or "error")

    @property
    def retryable(self) -> bool:
        return self.cause is not None and self.cause is not UnreachableCause.MISCONFIGURED

    @property
    def rank(self) -> int:
        """How much this failure says; when two calls fail together, the most telling wins."""
        if self.category is not None:
            return 0
        return 1 if self.cause is UnreachableCause.MISCONFIGURED else 2

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

    def __repr__(self) -> str:
        return f"CallFailed({self.label!r}, code={self.code!r}, text={self.text!r})"


def _unreachable(cause: UnreachableCause, text: str, code: int | None = None) -> CallFailed:
    return CallFailed(cause=cause, text=text, code=code)


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
    if match:
        number = int(match.group(1))
        said = _shorten(match.group(2)) or _shorten(text)
        if number in _TRANSIENT_CODES:
            return _unreachable(UnreachableCause.NMBRS_ERROR, f"Nmbrs error {number}: {said}", number)
        category = _CATEGORY_BY_CODE.get(number, RejectionCategory.OTHER)
        return CallFailed(category=category, text=said, code=number)
    kind = (fault_code or "").rpartition(":")[2]
    if kind in ("Client", "Sender", "VersionMismatch", "MustUnderstand"):
        # The server says our request is wrong: a bug or a wrong URL here, nothing about the token.
        return _unreachable(UnreachableCause.MISCONFIGURED, f"SOAP {kind} fault: {_shorten(text)}")
    # A server fault without an Nmbrs number is an unhandled error on their side: never
    # declare a token dead on text we cannot classify.
    return _unreachable(UnreachableCause.NMBRS_ERROR, f"SOAP fault without an Nmbrs code: {_shorten(text)}")


def _status_failure(status: int, what: str) -> CallFailed:
    if status >= 500 or status in (408, 429):
        return _unreachable(UnreachableCause.HTTP_ERROR, f"HTTP {status} {what}")
    # 3xx/4xx: a wrong base URL (404, a redirect to a login page) or a request the server cannot
    # take; retrying will not help and it says nothing about the token.
    return _unreachable(UnreachableCause.MISCONFIGURED, f"HTTP {status} {what}")


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
        return _unreachable(UnreachableCause.MALFORMED, f"HTTP {status} with an empty body")
    if _looks_like_html(media_type, body[:256]):
        if 300 <= status < 500 and status not in (408, 429):
            return _status_failure(status, "with an HTML page")
        return _unreachable(UnreachableCause.HTML, f"HTTP {status} with an HTML page instead of SOAP")
    try:
        # No recovery, no entities, no network: only a yes/no on well-formedness.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        if status >= 300:
            return _status_failure(status, "with a body that is not XML")
        return _unreachable(UnreachableCause.MALFORMED, f"HTTP {status} with a body that is not well-formed XML")
    if status != 200 and not _has_soap_fault(root):
        return _status_failure(status, "without a SOAP fault")
    return None


class _QuietTransport(AsyncTransport):
    """zeep transport over our shared httpx client that never logs or leaks the envelope.

    zeep's own AsyncTransport.post logs the whole request at DEBUG (token in the header), and
    httpx exceptions keep the request (token in the body) on `.request`; both stop here.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        # AsyncTransport.__init__ is skipped on purpose: it builds a synchronous client for
        # fetching WSDLs (we never fetch one) and overwrites the shared client's headers.
        self.cache = None
        self.load_timeout = 0
        self.operation_timeout = None
        self.client = client
        self.wsdl_client = None
        self._close_session = False
        self.logger = logger

    def _load_remote_data(self, url: str) -> bytes:
        # Start-up needs no network: the WSDL and everything it refers to ship with the package.
        raise zeep_errors.TransportError(f"refusing to fetch {url}: the Nmbrs WSDL ships with tokendesk")

    async def aclose(self) -> None:
        # The gateway owns the httpx client and closes it.
        return None

    async def post(self, address: str, message: Any, headers: dict[str, str]) -> httpx.Response:
        failure: CallFailed | None = None
        try:
            response = await self.client.post(address, content=message, headers=headers)
        except httpx.TimeoutException as exc:
            failure = _unreachable(UnreachableCause.TIMEOUT, f"no answer in time ({type(exc).__name__})")
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            failure = _unreachable(UnreachableCause.MISCONFIGURED, f"unusable Nmbrs URL ({type(exc).__name__})")
        except httpx.TransportError as exc:
            failure = _unreachable(UnreachableCause.CONNECTION, f"connection failed ({type(exc).__name__})")
        # Raised outside the except clauses so the httpx exception (and its request) is not
        # kept as __context__ of ours.
        if failure is not None:
            raise failure
        problem = screen_response(
            response.status_code, response.headers.get("content-type", ""), response.content
        )
        if problem is not None:
            raise problem
        return response


@dataclass(frozen=True, slots=True)
class _Operation:
    service: str  # "DebtorService"
    name: str  # "List_GetAll"

    @property
    def label(self) -> str:
        return f"{self.service}.{self.name}"


ENVIRONMENT_GET = _Operation("DebtorService", "Environment_Get")
DEBTORS_GET_ALL = _Operation("DebtorService", "List_GetAll")
COMPANIES_GET_ALL = _Operation("CompanyService", "List_GetAll")
COMPANIES_BY_DEBTOR = _Operation("CompanyService", "List_GetByDebtor")


def _service_address(base_url: str, service: str) -> str:
    return base_url.rstrip("/") + f"/{service}.asmx"


def _check_base_url(base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("base_url must be an http(s) URL such as https://api.nmbrs.nl/soap/v3/")


def _items(result: Any, element: str) -> list[Any]:
    """The records of a List_* answer, however zeep chose to unwrap the array."""
    if result is None:
        return []
    if isinstance(result, list):
        return [item for item in result if item is not None]
    inner = getattr(result, element, None)
    if inner is None:
        return []
    if isinstance(inner, list):
        return [item for item in inner if item is not None]
    return [inner]


def _as_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _malformed(what: str) -> CallFailed:
    return _unreachable(UnreachableCause.MALFORMED, what)


def _required_id(value: Any) -> int:
    number = _as_int(value)
    if number is None:
        raise _malformed("answer has a record without an id")
    return number


def _name(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _parse_environment(answer: Any) -> str:
    # A one-element result comes back unwrapped: the SubDomain string itself.
    subdomain = getattr(answer, "SubDomain", answer)
    if not isinstance(subdomain, str) or not subdomain.strip():
        raise _malformed("answer has no SubDomain")
    return subdomain.strip()


def _parse_debtors(answer: Any) -> tuple[Debtor, ...]:
    return tuple(
        Debtor(id=_required_id(item.Id), number=_as_int(item.Number), name=_name(item.Name))
        for item in _items(answer, "Debtor")
    )


def _parse_companies(answer: Any) -> tuple[Company, ...]:
    return tuple(
        Company(id=_required_id(item.ID), number=_as_int(item.Number), name=_name(item.Name))
        for item in _items(answer, "Company")
    )


class NmbrsGateway:
    """Validates Nmbrs credentials over SOAP: Environment_Get, then the debtor and company lists.

    `validate` raises InvalidInput for local shape errors and otherwise always returns a
    Validation; it never raises for anything Nmbrs or the network does.
    """

    def __init__(
        self,
        *,
        base_url: str,
        limiter: CallLimiter | None = None,
        connect_timeout_s: float = 5,
        read_timeout_s: float = 20,
        retries: int = 2,
        backoff_s: float = 0.5,
        soap_version: int = 11,
        map_debtors_max: int = DEFAULT_MAP_DEBTORS_MAX,
        on_call: OnCall | None = None,
    ) -> None:
        _check_base_url(base_url)
        if soap_version not in (11, 12):
            raise ValueError("soap_version must be 11 or 12")
        if retries < 0 or backoff_s < 0 or connect_timeout_s <= 0 or read_timeout_s <= 0:
            raise ValueError("timeouts must be positive and retries/backoff not negative")
        guard_zeep_logging()
        self.base_url = base_url
        self.soap_version = soap_version
        # Defaults match TOKENDESK_RECHECK_CONCURRENCY / TOKENDESK_NMBRS_RATE; the app passes
        # its one shared limiter, this only keeps a stand-alone gateway (CLI) polite.
        self._limiter = limiter or CallLimiter(concurrency=8, rate_per_s=10)
        self._retries = retries
        self._backoff_s = backoff_s
        self._map_debtors_max = map_debtors_max
        self._on_call = on_call
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(
                read_timeout_s, connect=connect_timeout_s, write=read_timeout_s, pool=read_timeout_s
            ),
            follow_redirects=False,
            headers={"User-Agent": "tokendesk"},
        )
        transport = _QuietTransport(self._http)
        # strict=False only relaxes the schema: the real services may send elements our WSDL
        # subset does not declare. Well-formedness is already enforced by screen_response.
        settings = zeep.Settings(strict=False, forbid_dtd=True, forbid_entities=True)
        suffix = "Soap12" if soap_version == 12 else "Soap"
        self._proxies: dict[str, AsyncServiceProxy] = {}
        for service, namespace in (("DebtorService", DEBTOR_NS), ("CompanyService", COMPANY_NS)):
            client = zeep.AsyncClient(
                str(WSDL_DIR / f"{service}.wsdl"), transport=transport, settings=settings
            )
            binding = client.wsdl.bindings[f"{{{namespace}}}{service}{suffix}"]
            self._proxies[service] = AsyncServiceProxy(
                client, binding, address=_service_address(base_url, service)
            )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"NmbrsGateway(base_url={self.base_url!r}, soap_version={self.soap_version})"

    async def validate(self, username: str, token: str) -> Validation:
        """Check the credentials; raise InvalidInput before any call if their shape is wrong."""
        username = clean_username(username)
        token = clean_token(token)
        started = time.monotonic()
        try:
            environment = await self._environment(username, token)
            debtors, companies = await self._scope(username, token, environment)
        except CallFailed as failure:
            result = failure.to_result(time.monotonic() - started)
            logger.info(
                "nmbrs validation finished: %s (%s, code %s, at %s) in %.3f s",
                result.outcome,
                failure.label,
                failure.code,
                failure.operation,
                result.latency_s,
            )
            return result
        valid = Valid(
            username=username,
            environment=environment,
            debtors=debtors,
            companies=companies,
            latency_s=time.monotonic() - started,
        )
        logger.info(
            "nmbrs validation finished: valid (%d debtors, %d companies) in %.3f s",
            len(debtors),
            len(companies),
            valid.latency_s,
        )
        return valid

    async def _environment(self, username: str, token: str) -> str:
        headers = {"AuthHeader": {"Username": username, "Token": token}}
        return await self._call(ENVIRONMENT_GET, token, headers, _parse_environment)

    async def _scope(
        self, username: str, token: str, environment: str
    ) -> tuple[tuple[Debtor, ...], tuple[Company, ...]]:
        headers = {
            "AuthHeaderWithDomain": {"Username": username, "Token": token, "Domain": environment}
        }
        debtors, companies = await _all(
            [
                self._call(DEBTORS_GET_ALL, token, headers, _parse_debtors),
                self._call(COMPANIES_GET_ALL, token, headers, _parse_companies),
            ]
        )
        if companies and 0 < len(debtors) <= self._map_debtors_max:
            companies = await self._with_debtors(token, headers, debtors, companies)
        return debtors, companies

    async def _with_debtors(
        self,
        token: str,
        headers: dict[str, Any],
        debtors: Sequence[Debtor],
        companies: tuple[Company, ...],
    ) -> tuple[Company, ...]:
        """Fill Company.debtor_id with one List_GetByDebtor per debtor."""

        async def company_ids_of(debtor: Debtor) -> tuple[int, list[int]]:
            try:
                found = await self._call(
                    COMPANIES_BY_DEBTOR, token, headers, _parse_companies, DebtorId=debtor.id
                )
            except CallFailed as failure:
                # No rights on this one debtor (a filter, or the call switched off in the
                # template): the login is still good, its companies just stay unattributed.
                if failure.category is RejectionCategory.RIGHTS:
                    return debtor.id, []
                raise
            return debtor.id, [company.id for company in found]

        owner: dict[int, int] = {}
        for debtor_id, company_ids in await _all([company_ids_of(d) for d in debtors]):
            owner.update(dict.fromkeys(company_ids, debtor_id))
        return tuple(replace(c, debtor_id=owner.get(c.id)) for c in companies)

    async def _call(
        self,
        operation: _Operation,
        token: str,
        headers: dict[str, Any],
        parse: Callable[[Any], _T],
        **body: Any,
    ) -> _T:
        """One operation with retries: transient failures again after a jittered backoff."""
        attempt = 0
        while True:
            try:
                return await self._attempt(operation, token, headers, parse, body)
            except CallFailed as failure:
                failure.operation = operation.label
                if not failure.retryable or attempt >= self._retries:
                    raise
                delay = self._backoff_s * (2**attempt) * random.uniform(0.5, 1.5)
                logger.info(
                    "nmbrs call failed transiently, retrying: %s (%s), attempt %d, wait %.2f s",
                    operation.label,
                    failure.label,
                    attempt + 1,
                    delay,
                )
            attempt += 1
            await asyncio.sleep(delay)

    async def _attempt(
        self,
        operation: _Operation,
        token: str,
        headers: dict[str, Any],
        parse: Callable[[Any], _T],
        body: dict[str, Any],
    ) -> _T:
        """Exactly one HTTP request, inside the limiter; the one place each call is measured."""
        proxy = self._proxies[operation.service]
        failure: CallFailed | None = None
        async with self._limiter:
            started = time.monotonic()
            try:
                answer = await proxy[operation.name](_soapheaders=headers, **body)
            except CallFailed as exc:
                failure = exc
            except zeep_errors.Fault as exc:
                failure = classify_fault(exc.code, exc.message, token=token)
            except zeep_errors.ValidationError as exc:
                failure = _unreachable(
                    UnreachableCause.MISCONFIGURED, f"request could not be built ({type(exc).__name__})"
                )
            except (zeep_errors.Error, etree.LxmlError, ValueError) as exc:
                # Well-formed XML that is not the envelope we expect (or not in its types).
                failure = _unreachable(
                    UnreachableCause.MALFORMED, f"answer not understood ({type(exc).__name__})"
                )
            latency = time.monotonic() - started
        if failure is None:
            try:
                value = parse(answer)
            except CallFailed as exc:
                failure = exc
        # Raised after the except clauses, so no zeep or httpx exception rides along as __context__.
        self._record(operation.label, "ok" if failure is None else failure.label, latency)
        if failure is not None:
            raise failure
        return value

    def _record(self, operation: str, outcome: str, latency_s: float) -> None:
        logger.debug("nmbrs call finished: %s %s in %.3f s", operation, outcome, latency_s)
        if self._on_call is None:
            return
        try:
            self._on_call(operation, outcome, latency_s)
        except Exception:
            # Metrics must never change a validation's outcome.
            logger.exception("nmbrs on_call hook failed")


async def _all(calls: Iterable[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Run calls together; if any fails, cancel the rest and raise the most telling failure."""
    failures: Sequence[BaseException] = ()
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as errors:
        if not all(isinstance(e, CallFailed) for e in errors.exceptions):
            raise
        failures = errors.exceptions
    if failures:
        raise min((f for f in failures if isinstance(f, CallFailed)), key=lambda f: f.rank)
    return [task.result() for task in tasks]
